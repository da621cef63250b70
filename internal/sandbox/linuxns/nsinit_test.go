//go:build linux

package linuxns

import (
	"bufio"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
)

// TestInitRejectsMalformedConfig: the init decodes its whole configuration
// before it acts on any of it, and a configuration it cannot decode gets
// an init-error frame naming the problem and exit status 1. The init runs
// in its own mount, UTS, network and IPC namespaces, so that a regression
// that let one of these through could not change the host.
func TestInitRejectsMalformedConfig(t *testing.T) {
	nsInit, err := sandboxtest.BuildNSInit()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "nsinit")
	if err := os.WriteFile(bin, nsInit, 0o700); err != nil {
		t.Fatal(err)
	}
	valid, err := nsinit.Config{Runtime: sandbox.RuntimePython, MemoryMB: 128, TmpSizeMB: 16, Hostname: "h", Seccomp: make([]byte, 8)}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	// A hostname with a NUL: version, no cgroup tasks, then the hostname.
	nul := binary.BigEndian.AppendUint32(nil, 1)
	nul = binary.BigEndian.AppendUint32(nul, 0)
	nul = binary.BigEndian.AppendUint32(nul, 3)
	nul = append(nul, 'a', 0, 'b')
	// One bind, where binds are pairs: version, no cgroup tasks, empty
	// hostname and /tmp options, no code dir, no dirs, then ["/usr"].
	odd := binary.BigEndian.AppendUint32(nil, 1)
	for range 5 {
		odd = binary.BigEndian.AppendUint32(odd, 0)
	}
	odd = binary.BigEndian.AppendUint32(odd, 1)
	odd = append(binary.BigEndian.AppendUint32(odd, 4), "/usr"...)
	for _, c := range []struct {
		name   string
		config []byte
		want   string
	}{
		{"empty", nil, "decode init config: truncated"},
		{"another version", append(binary.BigEndian.AppendUint32(nil, 2), valid[4:]...), "decode init config: unknown version"},
		{"cut short", valid[:len(valid)-1], "past the end"},
		{"bytes left over", append(append([]byte{}, valid...), 0), "decode init config: 1 bytes left over"},
		{"NUL in a string", nul, "decode init config: NUL in a string"},
		{"odd pairs", odd, "decode init config: a list of pairs has an odd length"},
		{"huge length", append(binary.BigEndian.AppendUint32(nil, 1), 0xff, 0xff, 0xff, 0xff), "decode init config: list of 4294967295 past the end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg, code := runInit(t, bin, c.config)
			if code != 1 || !strings.Contains(msg, c.want) {
				t.Fatalf("exit %d, init error %q; want exit 1 and %q", code, msg, c.want)
			}
		})
	}
}

// runInit runs the init with config on its fd 5 and returns the message of
// its init-error frame on fd 4 and its exit status.
func runInit(t *testing.T, bin string, config []byte) (string, int) {
	t.Helper()
	reqR, reqW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer reqW.Close()
	respR, respW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.ExtraFiles = []*os.File{reqR, respW, cfgR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reqR.Close()
	respW.Close()
	cfgR.Close()
	if _, err := cfgW.Write(config); err != nil {
		t.Fatal(err)
	}
	cfgW.Close()
	typ, body, err := runtime.ReadFrame(bufio.NewReader(respR))
	if err != nil || typ != runtime.FrameInitError {
		t.Fatalf("frame %q %q %v; want an init error", typ, body, err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("init exited with %v; want a failure", err)
	}
	return string(body), exit.ExitCode()
}
