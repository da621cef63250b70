package sandboxtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

func (s *suite) containment(t *testing.T) {
	for name, test := range map[string]func(*testing.T){
		"ReadHostFiles":      s.testReadHostFiles,
		"ReadOtherInstance":  s.testReadOtherInstance,
		"WriteOutsideTmp":    s.testWriteOutsideTmp,
		"FillTmp":            s.testFillTmp,
		"Network":            s.testNetwork,
		"ForkBomb":           s.testForkBomb,
		"MemoryLimit":        s.testMemoryLimit,
		"TimeoutKillsTree":   s.testTimeoutKillsTree,
		"SignalsAndPtrace":   s.testSignalsAndPtrace,
		"MountAndNamespaces": s.testMountAndNamespaces,
		"ProcEscapes":        s.testProcEscapes,
		"Identity":           s.testIdentity,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t)
			// Whatever the attack did, the driver still works.
			s.requireHealthy(t)
		})
	}
}

// probePy is a helper module for attack functions: attempt(f, *args)
// returns {"ok": true, "value": ...} or {"ok": false, "errno": "EPERM"}.
const probePy = `import ctypes, errno, os

libc = ctypes.CDLL(None, use_errno=True)

def attempt(f, *args):
    try:
        r = f(*args)
        if isinstance(r, bytes):
            r = r.decode("utf-8", "replace")
        if not isinstance(r, (str, int, float, bool, list, dict, type(None))):
            r = repr(r)
        return {"ok": True, "value": r}
    except OSError as e:
        return {"ok": False, "errno": errno.errorcode.get(e.errno, str(e.errno))}
    except Exception as e:
        return {"ok": False, "error": type(e).__name__ + ": " + str(e)}

def read(path):
    with open(path, "rb") as f:
        return f.read(1 << 16)

def write(path, data=b"pwned"):
    with open(path, "wb") as f:
        f.write(data)
    return "written"

def c(name, *args):
    """Call a libc function, raising OSError like the os module does."""
    r = getattr(libc, name)(*args)
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r
`

// attempt is the decoded result of probe.attempt.
type attempt struct {
	OK    bool   `json:"ok"`
	Value any    `json:"value"`
	Errno string `json:"errno"`
	Error string `json:"error"`
}

// probe runs a Python attack handler (main.handler, with probe.py beside
// it) and returns its result object.
func (s *suite) probe(t *testing.T, code, event string, spec func(*sandbox.Spec)) (map[string]json.RawMessage, string) {
	t.Helper()
	inst := s.start(t, fn{rt: sandbox.RuntimePython, files: map[string]string{"main.py": code, "probe.py": probePy}, handler: "main.handler", spec: spec})
	res, l := call(t, inst, event, 20*time.Second)
	if res.Status != sandbox.StatusSucceeded {
		t.Fatalf("attack function: %s %s %+v; logs:\n%s", res.Status, res.Reason, res.Error, l.all())
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(res.Payload, &m); err != nil {
		t.Fatalf("attack result %s: %v", res.Payload, err)
	}
	return m, string(res.Payload) + l.all()
}

// blocked asserts that every named attempt failed (with one of errnos, if
// given).
func blocked(t *testing.T, m map[string]json.RawMessage, errnos []string, names ...string) {
	t.Helper()
	for _, n := range names {
		var a attempt
		if err := json.Unmarshal(m[n], &a); err != nil {
			t.Errorf("%s: no result (%s)", n, m[n])
			continue
		}
		if a.OK {
			t.Errorf("%s succeeded (value %v): the sandbox should refuse it", n, a.Value)
		} else if len(errnos) > 0 && !slices.Contains(errnos, a.Errno) {
			t.Errorf("%s failed with %q %q, want one of %v", n, a.Errno, a.Error, errnos)
		}
	}
}

func token(t *testing.T) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "tok-" + hex.EncodeToString(b[:])
}

// hostSecret writes a world-readable file standing for the server's data
// (database, keys) outside any code dir, so only isolation protects it.
func hostSecret(t *testing.T) (path, tok string) {
	dir, err := os.MkdirTemp("", "voltrun-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
		t.Fatal(err)
	}
	tok = token(t)
	path = filepath.Join(dir, "voltrun.db")
	if err := os.WriteFile(path, []byte(tok), 0o644); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
		t.Fatal(err)
	}
	return path, tok
}

func (s *suite) testReadHostFiles(t *testing.T) {
	secret, tok := hostSecret(t)
	m, raw := s.probe(t, `import os
from probe import attempt, read
def handler(e, c):
    p = e["secret"]
    return {
        "shadow": attempt(read, "/etc/shadow"),
        "secret": attempt(read, p),
        "via_proc1_root": attempt(read, "/proc/1/root" + p),
        "via_self_root": attempt(read, "/proc/self/root/../../.." + p),
        "via_cwd": attempt(read, "/proc/self/cwd/../../.." + p),
        "root_home": attempt(os.listdir, "/root"),
        "passwd": attempt(read, "/etc/passwd"),
        "top": attempt(os.listdir, "/"),
    }
`, `{"secret":`+quote(secret)+`}`, nil)
	blocked(t, m, nil, "shadow", "secret", "via_proc1_root", "via_self_root", "via_cwd", "root_home")
	if strings.Contains(raw, tok) {
		t.Fatalf("the host secret leaked into the sandbox's output")
	}
	var passwd attempt
	_ = json.Unmarshal(m["passwd"], &passwd)
	if host, err := os.ReadFile("/etc/passwd"); err == nil && passwd.OK && passwd.Value == string(host) {
		t.Errorf("the sandbox sees the host's /etc/passwd")
	}
	var top attempt
	_ = json.Unmarshal(m["top"], &top)
	for _, name := range []string{"root", "home", "boot", "srv", "mnt", "media", "work"} {
		if strings.Contains(string(m["top"]), `"`+name+`"`) {
			t.Errorf("host directory /%s is visible in the sandbox: %v", name, top.Value)
		}
	}
}

func (s *suite) testReadOtherInstance(t *testing.T) {
	tok := token(t)
	victim := s.start(t, fn{rt: sandbox.RuntimePython, files: map[string]string{"main.py": "def handler(e, c):\n    return open('/var/task/secret.txt').read()\n", "secret.txt": tok}, handler: "main.handler"})
	if res, _ := call(t, victim, `{}`, 5*time.Second); string(res.Payload) != quote(tok) {
		t.Fatalf("victim cannot read its own file: %s %+v", res.Payload, res.Error)
	}
	m, raw := s.probe(t, `from probe import attempt, read
def handler(e, c):
    return {
        "by_host_path": attempt(read, e["dir"] + "/secret.txt"),
        "in_own_task": attempt(read, "/var/task/secret.txt"),
    }
`, `{"dir":`+quote(victim.CodeDir())+`}`, nil)
	blocked(t, m, nil, "by_host_path", "in_own_task")
	if strings.Contains(raw, tok) {
		t.Fatalf("another instance's code leaked")
	}
}

func (s *suite) testWriteOutsideTmp(t *testing.T) {
	targets := []string{"/pwned", "/var/task/pwned", "/var/task/main.py", "/usr/pwned", "/usr/bin/pwned", "/etc/passwd", "/etc/pwned", "/opt/voltrun/pwned", "/dev/pwned", "/proc/pwned"}
	m, _ := s.probe(t, `from probe import attempt, write
def handler(e, c):
    out = {t: attempt(write, t) for t in e["targets"]}
    out["tmp"] = attempt(write, "/tmp/ok")
    return out
`, `{"targets":`+string(mustJSON(targets))+`}`, nil)
	blocked(t, m, []string{"EROFS", "EACCES", "EPERM", "ENOENT"}, targets...)
	var tmp attempt
	if _ = json.Unmarshal(m["tmp"], &tmp); !tmp.OK {
		t.Errorf("writing /tmp failed: %+v", tmp)
	}
}

func (s *suite) testFillTmp(t *testing.T) {
	m, _ := s.probe(t, `import errno
def handler(e, c):
    n = 0
    chunk = b"x" * (1 << 20)
    try:
        with open("/tmp/fill", "wb") as f:
            while n < (64 << 20):
                f.write(chunk)
                f.flush()
                n += len(chunk)
    except OSError as ex:
        return {"written": n, "errno": errno.errorcode.get(ex.errno)}
    return {"written": n, "errno": None}
`, `{}`, func(sp *sandbox.Spec) { sp.TmpSizeMB = 8 })
	var written int
	var errno string
	_ = json.Unmarshal(m["written"], &written)
	_ = json.Unmarshal(m["errno"], &errno)
	if errno != "ENOSPC" || written > 8<<20 {
		t.Fatalf("filling an 8 MB /tmp: wrote %d bytes, errno %q; want ENOSPC at most 8 MiB", written, errno)
	}
}

func quote(s string) string { return string(mustJSON(s)) }
