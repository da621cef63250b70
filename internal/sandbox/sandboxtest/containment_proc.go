package sandboxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// testNetwork: no connection reaches the host's loopback services, and
// nothing can leave: the only interface is a loopback that is down. The
// private-range connect is attempted only once that is established, so no
// packet can leave the machine even if the sandbox were broken.
func (s *suite) testNetwork(t *testing.T) {
	if s.caps.Network {
		t.Skip("driver offers networking; isolation of networked sandboxes is tested elsewhere")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	m, _ := s.probe(t, `import socket
from probe import attempt
def conn(host, port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, port))
        return "connected"
    finally:
        s.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return s.sendto(b"x", ("127.0.0.1", port))
def handler(e, c):
    ifaces = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
    out = {"ifaces": ifaces, "loopback": attempt(conn, "127.0.0.1", e["port"]), "udp": attempt(udp, e["port"])}
    if ifaces == ["lo"]:
        out["private"] = attempt(conn, "10.255.255.1", 9)
        out["dns"] = attempt(socket.getaddrinfo, "example.com", 80)
    return out
`, fmt.Sprintf(`{"port":%d}`, port), nil)
	if string(m["ifaces"]) != `["lo"]` {
		t.Fatalf("interfaces in the sandbox: %s, want only lo", m["ifaces"])
	}
	blocked(t, m, []string{"ENETUNREACH"}, "loopback", "udp", "private")
	blocked(t, m, nil, "dns")
	if n := accepted.Load(); n != 0 {
		t.Errorf("the host listener accepted %d connections from the sandbox", n)
	}
}

// testForkBomb: processes multiply until the process limit refuses them.
func (s *suite) testForkBomb(t *testing.T) {
	m, _ := s.probe(t, `import errno, os, time
def handler(e, c):
    n = 0
    while True:
        try:
            pid = os.fork()
        except OSError as ex:
            return {"forked": n, "errno": errno.errorcode.get(ex.errno)}
        if pid == 0:
            try:
                while True:
                    os.fork()  # every child keeps forking too
            except OSError:
                pass
            time.sleep(120)
            os._exit(0)
        n += 1
`, `{}`, func(sp *sandbox.Spec) { sp.MaxProcs = 32 })
	if string(m["errno"]) != `"EAGAIN"` {
		t.Errorf("fork bomb stopped with %s, want EAGAIN", m["errno"])
	}
	if err := exec.Command("/bin/true").Run(); err != nil {
		t.Fatalf("the host cannot start a process after the fork bomb: %v", err)
	}
}

// testMemoryLimit: allocating past the limit kills the instance with
// ReasonOutOfMemory.
func (s *suite) testMemoryLimit(t *testing.T) {
	for _, tc := range []struct{ name, rt, file, code, handler string }{
		{"node buffers", sandbox.RuntimeNode, "index.js", "exports.handler = () => { const a = []; for (;;) a.push(Buffer.alloc(4 << 20, 1)); };", "index.handler"},
		{"node heap", sandbox.RuntimeNode, "index.js", "exports.handler = () => { const a = []; for (;;) a.push(new Array(10000).fill(Math.random())); };", "index.handler"},
		{"python", sandbox.RuntimePython, "main.py", "def handler(e, c):\n    a = []\n    while True:\n        a.append(b'x' * (4 << 20))\n", "main.handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler, spec: func(sp *sandbox.Spec) { sp.MemoryMB = 64 }})
			res, l := call(t, inst, `{}`, 20*time.Second)
			if res.Status != sandbox.StatusKilled || res.Reason != sandbox.ReasonOutOfMemory || !res.Dead {
				t.Fatalf("got %s %s dead=%v %+v; logs:\n%.2000s", res.Status, res.Reason, res.Dead, res.Error, l.all())
			}
		})
	}
}

// testTimeoutKillsTree: at the deadline every process of the instance is
// killed, including a child that ignores SIGTERM and left the session.
func (s *suite) testTimeoutKillsTree(t *testing.T) {
	for _, tc := range []struct{ rt, file, code, handler string }{
		{sandbox.RuntimeNode, "index.js", `const cp = require("child_process");
exports.handler = (e) => {
  cp.spawn("/bin/sh", ["-c", "trap '' TERM; while :; do sleep 1; done", e.nonce], { detached: true, stdio: "ignore" }).unref();
  const end = Date.now() + 200; while (Date.now() < end) {}
  for (;;) {}
};`, "index.handler"},
		{sandbox.RuntimePython, "main.py", `import subprocess, time
def handler(e, c):
    subprocess.Popen(["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done", e["nonce"]], start_new_session=True)
    while True:
        pass
`, "main.handler"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			nonce := token(t)
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			res, l := call(t, inst, `{"nonce":`+quote(nonce)+`}`, 700*time.Millisecond)
			if res.Status != sandbox.StatusTimeout || !res.Dead {
				t.Fatalf("got %s %s %+v; logs:\n%s", res.Status, res.Reason, res.Error, l.all())
			}
			deadline := time.Now().Add(3 * time.Second)
			for {
				pids := hostProcsWith(nonce)
				if pl, ok := inst.(ProcessLister); ok {
					pids = append(pids, pl.Procs()...)
				}
				if len(pids) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("processes survived the timeout: %v", pids)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// hostProcsWith lists host pids whose command line contains s.
func hostProcsWith(s string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			pid, _ := strconv.Atoi(filepath.Base(d))
			pids = append(pids, pid)
		}
	}
	return pids
}

// testSignalsAndPtrace: the sandbox can neither signal nor trace host
// processes or its own init; kill(-1) only takes the instance itself down.
func (s *suite) testSignalsAndPtrace(t *testing.T) {
	sleeper := exec.Command("/bin/sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() }()
	code := `import os, signal
from probe import attempt, c
def handler(e, ctx):
    if e.get("killall"):
        os.kill(-1, signal.SIGKILL)
        return "survived kill(-1)"
    return {
        "kill_host": attempt(os.kill, e["host"], signal.SIGKILL),
        "kill_test": attempt(os.kill, e["test"], 0),
        "kill_init": attempt(os.kill, 1, signal.SIGKILL),
        "ptrace_init": attempt(c, "ptrace", 16, 1, None, None),
        "ptrace_host": attempt(c, "ptrace", 16, e["host"], None, None),
        "ptrace_me": attempt(c, "ptrace", 0, 0, None, None),
        "vm_read": attempt(c, "syscall", 310, 1, None, 0, None, 0, 0),
    }
`
	inst := s.start(t, fn{rt: sandbox.RuntimePython, files: map[string]string{"main.py": code, "probe.py": probePy}, handler: "main.handler"})
	res, l := call(t, inst, fmt.Sprintf(`{"host":%d,"test":%d}`, sleeper.Process.Pid, os.Getpid()), 10*time.Second)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(res.Payload, &m); err != nil || res.Status != sandbox.StatusSucceeded {
		t.Fatalf("%s %s %s %+v; logs:\n%s", res.Status, res.Reason, res.Payload, res.Error, l.all())
	}
	blocked(t, m, []string{"ESRCH", "EPERM"}, "kill_host", "kill_test", "kill_init", "ptrace_init", "ptrace_host", "ptrace_me", "vm_read")
	// kill(-1) reaches every process the caller may signal except itself
	// and init: inside the sandbox, nothing but its own.
	if res, _ = call(t, inst, `{"killall":true}`, 10*time.Second); res.Status == sandbox.StatusTimeout {
		t.Errorf("kill(-1) hung the instance")
	}
	if err := sleeper.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the host process died: %v", err)
	}
	if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", sleeper.Process.Pid)); strings.Contains(string(st), ") Z ") {
		t.Fatalf("the host process was killed")
	}
}
