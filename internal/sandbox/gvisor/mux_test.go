//go:build linux

package gvisor

import (
	"bytes"
	"errors"
	"io"
	"syscall"
	"testing"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

func TestDemux(t *testing.T) {
	var stream bytes.Buffer
	w := gvinit.NewMuxWriter(&stream)
	for _, f := range []struct {
		typ  byte
		body string
	}{{gvinit.MuxStdout, "hello "}, {gvinit.MuxStderr, "oops\n"}, {gvinit.MuxStdout, "world\n"}, {gvinit.MuxStatus, "signal 9"}} {
		if err := w.Send(f.typ, []byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	var corrupt error
	d := newDemux(&stream, func(err error) { corrupt = err })
	out, errs := make(chan []byte), make(chan []byte)
	go func() { b, _ := io.ReadAll(d.Stdout); out <- b }()
	go func() { b, _ := io.ReadAll(d.Stderr); errs <- b }()
	if got := string(<-out); got != "hello world\n" {
		t.Errorf("stdout %q", got)
	}
	if got := string(<-errs); got != "oops\n" {
		t.Errorf("stderr %q", got)
	}
	st, ok := d.exited()
	if !ok || st.Signal != syscall.SIGKILL || corrupt != nil {
		t.Errorf("status %+v %v, corrupt %v", st, ok, corrupt)
	}
}

func TestDemuxCorrupt(t *testing.T) {
	for name, stream := range map[string]string{
		"runsc error text": "running container: creating container: cannot create sandbox\n",
		"unknown type":     "\x00\x00\x00\x01zx",
		"truncated":        "\x00\x00\x00\x09o12",
		"bad status":       "\x00\x00\x00\x04sboom",
	} {
		t.Run(name, func(t *testing.T) {
			var corrupt error
			d := newDemux(bytes.NewBufferString(stream), func(err error) { corrupt = err })
			go func() { _, _ = io.Copy(io.Discard, d.Stdout) }()
			go func() { _, _ = io.Copy(io.Discard, d.Stderr) }()
			if _, ok := d.exited(); ok {
				t.Error("a corrupt stream reported an exit status")
			}
			if !errors.Is(corrupt, errMuxCorrupt) {
				t.Errorf("onCorrupt got %v", corrupt)
			}
		})
	}
	// A stream that simply ends (the sandbox was killed) is not corrupt.
	var corrupt error
	d := newDemux(bytes.NewBufferString(""), func(err error) { corrupt = err })
	if _, ok := d.exited(); ok || corrupt != nil {
		t.Errorf("empty stream: status reported %v, corrupt %v", ok, corrupt)
	}
}

func TestExitStatus(t *testing.T) {
	for _, st := range []gvinit.ExitStatus{{Code: 0}, {Code: 3}, {Signal: syscall.SIGABRT}} {
		got, err := parseExitStatus([]byte(st.String()))
		if err != nil || got != st {
			t.Errorf("%v: round trip gave %v %v", st, got, err)
		}
	}
}
