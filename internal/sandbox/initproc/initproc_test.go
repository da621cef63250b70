//go:build linux

package initproc

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/voltrun/voltrun/internal/runtime"
)

// TestReportErrorIsAnInitErrorFrame: the init's failure frame is the
// protocol's, byte for byte.
func TestReportErrorIsAnInitErrorFrame(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ReportError(w, errors.New("mount /proc: permission denied"))
	w.Close()
	got := make([]byte, 100)
	n, _ := r.Read(got)
	var want bytes.Buffer
	if err := runtime.WriteFrame(&want, runtime.FrameInitError, []byte("mount /proc: permission denied")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:n], want.Bytes()) {
		t.Fatalf("frame %q, want %q", got[:n], want.Bytes())
	}
}

// TestLoadSeccompRefusesMalformedPrograms: nothing is installed from a
// program that is not whole instructions.
func TestLoadSeccompRefusesMalformedPrograms(t *testing.T) {
	for _, prog := range [][]byte{nil, make([]byte, 7), make([]byte, 8*(4096+1))} {
		if err := LoadSeccomp(prog); err == nil {
			t.Fatalf("a %d-byte program was accepted", len(prog))
		}
	}
}
