//go:build linux

package linuxns

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
)

// TestInitRejectsMalformedConfig: the init decodes its whole configuration
// before it acts on any of it, and a configuration it cannot decode gets
// an init-error frame naming the problem and exit status 1. Each case is
// a real init, from the spawner the driver uses.
func TestInitRejectsMalformedConfig(t *testing.T) {
	d := newTestDriver(t)
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
			msg, code := runInit(t, d.spawner, c.config)
			if code != 1 || !strings.Contains(msg, c.want) {
				t.Fatalf("exit %d, init error %q; want exit 1 and %q", code, msg, c.want)
			}
		})
	}
}

// TestSpawnerStartsInitInCgroup: on cgroup v2 the spawner clones the init
// straight into the instance's group (clone3's CLONE_INTO_CGROUP). On a v1
// host the test uses the unified hierarchy beside it, which has no
// controllers but takes the same path.
func TestSpawnerStartsInitInCgroup(t *testing.T) {
	d := newTestDriver(t)
	root := cgroup2Mount(t)
	name := "voltrun-spawn-test-" + strconv.Itoa(os.Getpid())
	dir := filepath.Join(root, name)
	if err := os.Mkdir(dir, 0o755); err != nil { //nolint:gosec // a cgroup, root's
		t.Fatal(err)
	}
	defer os.Remove(dir)
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	init := startInit(t, d.spawner, nsinit.SpawnRequest{UIDBase: 100000, CgroupFD: true}, fd)
	// The init waits for its configuration, in its group.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", init.proc.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "0::/"+name+"\n") {
		t.Errorf("the init's cgroups:\n%s\nwant it in %s", b, dir)
	}
	if msg, code := init.finish(t, nil); code != 1 || !strings.Contains(msg, "truncated") {
		t.Fatalf("exit %d, init error %q", code, msg)
	}
}

// TestInitIsNamedApart: an init is a clone of the spawner, not an exec, and
// renames itself, so that ps and /proc tell the two apart; the spawner
// names itself too (its executable is a memory file's descriptor).
func TestInitIsNamedApart(t *testing.T) {
	d := newTestDriver(t)
	init := startInit(t, d.spawner, nsinit.SpawnRequest{UIDBase: 100000})
	// It renames itself first thing, once it runs.
	var cmdline, comm []byte
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		cmdline, _ = os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", init.proc.Pid))
		comm, _ = os.ReadFile(fmt.Sprintf("/proc/%d/comm", init.proc.Pid))
		if strings.HasPrefix(string(cmdline), "voltrun-sandbox-init\x00") && string(comm) == "voltrun-init\n" {
			break
		}
	}
	if !strings.HasPrefix(string(cmdline), "voltrun-sandbox-init\x00") || string(comm) != "voltrun-init\n" {
		t.Errorf("the init's cmdline is %q and comm %q; want voltrun-sandbox-init and voltrun-init", cmdline, comm)
	}
	spawner, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", d.spawner.cmd.Process.Pid))
	if err != nil || string(spawner) != "voltrun-spawner\n" {
		t.Errorf("the spawner's comm is %q (%v); want voltrun-spawner", spawner, err)
	}
	if _, code := init.finish(t, nil); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
}

// cgroup2Mount returns where the cgroup v2 hierarchy is mounted, or skips.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) > 2 && f[2] == "cgroup2" {
			return f[1]
		}
	}
	t.Skip("no cgroup v2 hierarchy is mounted on this host")
	return ""
}

// runInit has s start an init with config on its fd 5 and returns the
// message of its init-error frame on fd 4 and its exit status.
func runInit(t *testing.T, s *spawner, config []byte) (string, int) {
	t.Helper()
	return startInit(t, s, nsinit.SpawnRequest{UIDBase: 100000}).finish(t, config)
}

// testInit is an init started by startInit, waiting for its configuration.
type testInit struct {
	proc      *os.Process
	responses *os.File // the host's end of its fd 4
	config    *os.File // the host's end of its fd 5
}

// startInit has s start an init for req, extra being the descriptors that
// follow the pipes (a cgroup's), and returns it waiting for its
// configuration. Its pipes close with the test.
func startInit(t *testing.T, s *spawner, req nsinit.SpawnRequest, extra ...int) testInit {
	t.Helper()
	var host, sandbox []*os.File
	for range 5 { // stdout, stderr, requests, responses, config
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		host, sandbox = append(host, r, w), append(sandbox, r, w)
	}
	t.Cleanup(func() {
		for _, f := range host {
			_ = f.Close()
		}
	})
	// The sandbox's ends: the write ends of stdout, stderr and responses,
	// the read ends of requests and config.
	ends := []*os.File{sandbox[1], sandbox[3], sandbox[4], sandbox[7], sandbox[8]}
	fds := make([]int, 0, len(ends)+len(extra))
	for _, f := range ends {
		fds = append(fds, int(f.Fd()))
	}
	pid, err := s.spawn(req, append(fds, extra...))
	for _, f := range ends {
		_ = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	return testInit{proc: proc, responses: host[6], config: host[9]}
}

// finish sends config, and returns the message of the init's init-error
// frame and its exit status.
func (i testInit) finish(t *testing.T, config []byte) (string, int) {
	t.Helper()
	if _, err := i.config.Write(config); err != nil {
		t.Fatal(err)
	}
	_ = i.config.Close()
	typ, body, err := runtime.ReadFrame(bufio.NewReader(i.responses))
	if err != nil || typ != runtime.FrameInitError {
		t.Fatalf("frame %q %q %v; want an init error", typ, body, err)
	}
	state, err := i.proc.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return string(body), state.ExitCode()
}
