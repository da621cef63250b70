package sandboxtest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// testMountAndNamespaces: mount, namespaces, chroot, uid changes and
// changes of the scheduling policy are refused.
func (s *suite) testMountAndNamespaces(t *testing.T) {
	m, _ := s.probe(t, `import os
from probe import attempt, c
def handler(e, ctx):
    return {
        "mount": attempt(c, "mount", b"none", b"/tmp", b"tmpfs", 0, None),
        "umount": attempt(c, "umount2", b"/proc", 2),
        "unshare_user": attempt(c, "unshare", 0x10000000),
        "unshare_mnt": attempt(c, "unshare", 0x00020000),
        "clone_newuser": attempt(c, "syscall", 56, 0x10000000 | 17, 0, 0, 0, 0),
        "chroot": attempt(c, "chroot", b"/tmp"),
        "pivot_root": attempt(c, "syscall", 155, b"/tmp", b"/tmp"),
        "bpf": attempt(c, "syscall", 321, 0, None, 0),
        "keyctl": attempt(c, "syscall", 250, 0, 0, 0, 0, 0),
        "setuid0": attempt(os.setuid, 0),
        "setgid0": attempt(os.setgid, 0),
        "sched_normal": attempt(os.sched_setscheduler, 0, os.SCHED_OTHER, os.sched_param(0)),
        "sched_setattr": attempt(c, "syscall", 314, 0, None, 0),
    }
`, `{}`, nil)
	blocked(t, m, []string{"EPERM"}, "mount", "umount", "unshare_user", "unshare_mnt", "clone_newuser", "chroot", "pivot_root", "bpf", "keyctl", "setuid0", "setgid0", "sched_normal", "sched_setattr")
}

// testProcEscapes: /proc offers no way out: no view of the init's root,
// read-only kernel knobs, masked kernel memory.
func (s *suite) testProcEscapes(t *testing.T) {
	secret, tok := hostSecret(t)
	m, raw := s.probe(t, `import os
from probe import attempt, read, write
def handler(e, c):
    p = e["secret"]
    kcore = attempt(read, "/proc/kcore")
    return {
        "init_root_link": attempt(os.readlink, "/proc/1/root"),
        "init_root_list": attempt(os.listdir, "/proc/1/root/"),
        "init_root_secret": attempt(read, "/proc/1/root" + p),
        "self_root_secret": attempt(read, "/proc/self/root/../../../.." + p),
        "sys_hostname": attempt(write, "/proc/sys/kernel/hostname", b"pwned"),
        "sys_drop_caches": attempt(write, "/proc/sys/vm/drop_caches", b"3"),
        "sysrq": attempt(write, "/proc/sysrq-trigger", b"b"),
        "core_pattern": attempt(write, "/proc/sys/kernel/core_pattern", b"|/tmp/x"),
        "sysfs": attempt(os.listdir, "/sys/kernel"),
        "kcore_bytes": len(kcore.get("value") or ""),
    }
`, `{"secret":`+quote(secret)+`}`, nil)
	blocked(t, m, nil, "init_root_link", "init_root_list", "init_root_secret", "self_root_secret", "sys_hostname", "sys_drop_caches", "sysrq", "core_pattern", "sysfs")
	if string(m["kcore_bytes"]) != "0" {
		t.Errorf("read %s bytes of /proc/kcore", m["kcore_bytes"])
	}
	if strings.Contains(raw, tok) {
		t.Fatalf("the host secret leaked through /proc")
	}
}

// testIdentity: the function runs as a non-root uid with no capabilities,
// no supplementary groups, no_new_privs and a seccomp filter.
func (s *suite) testIdentity(t *testing.T) {
	m, _ := s.probe(t, `def handler(e, c):
    return {l.split(":")[0]: l.split(":", 1)[1].strip() for l in open("/proc/self/status") if ":" in l}
`, `{}`, nil)
	get := func(k string) string {
		var v string
		_ = json.Unmarshal(m[k], &v)
		return v
	}
	uids := strings.Fields(get("Uid"))
	if len(uids) != 4 || uids[0] == "0" || uids[0] != uids[1] || uids[1] != uids[2] || uids[2] != uids[3] {
		t.Errorf("Uid: %q, want four equal non-zero ids", get("Uid"))
	}
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if get(k) != "0000000000000000" {
			t.Errorf("%s = %s, want no capabilities", k, get(k))
		}
	}
	for k, want := range map[string]string{"NoNewPrivs": "1", "Seccomp": "2", "Groups": ""} {
		if get(k) != want {
			t.Errorf("%s = %q, want %q", k, get(k), want)
		}
	}
	inst := s.start(t, fn{rt: sandbox.RuntimeNode, files: map[string]string{"index.js": "exports.handler = () => ({ uid: process.getuid(), gid: process.getgid(), groups: process.getgroups() });"}, handler: "index.handler"})
	res, l := call(t, inst, `{}`, 5*time.Second)
	n := succeeded(t, res, l)
	// Node always lists the effective gid among the groups.
	if n["uid"] == float64(0) || n["gid"] == float64(0) || string(mustJSON(n["groups"])) != string(mustJSON([]any{n["gid"]})) {
		t.Errorf("node identity %s", res.Payload)
	}
}

// testServerEnv: the server's own environment never reaches a sandbox, not
// even through /proc. It sets process environment variables, so it runs
// outside any parallel group.
func (s *suite) testServerEnv(t *testing.T) {
	jwt, db := token(t), token(t)
	t.Setenv("VOLTRUN_JWT_SECRET", jwt)
	t.Setenv("DATABASE_URL", "postgres://voltrun:"+db+"@db.internal/voltrun")
	t.Setenv("NODE_OPTIONS", "--require /nonexistent-"+db)
	t.Setenv("PYTHONPATH", "/nonexistent-"+db)
	for _, tc := range []struct{ rt, file, code, handler string }{
		{sandbox.RuntimeNode, "index.js", `const fs = require("fs");
exports.handler = () => {
  const environ = {};
  for (const p of fs.readdirSync("/proc")) {
    try { environ[p] = fs.readFileSync("/proc/" + p + "/environ", "latin1"); } catch (e) { environ[p] = e.code; }
  }
  return { env: process.env, environ };
};`, "index.handler"},
		{sandbox.RuntimePython, "main.py", `import os
def handler(e, c):
    environ = {}
    for p in ["1", "self"] + [d for d in os.listdir("/proc") if d.isdigit()]:
        try:
            environ[p] = open("/proc/%s/environ" % p, "rb").read().decode("latin1")
        except OSError as ex:
            environ[p] = str(ex)
    return {"env": dict(os.environ), "environ": environ}
`, "main.handler"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler, env: map[string]string{"MY_VAR": "mine"}})
			res, l := call(t, inst, `{}`, 5*time.Second)
			m := succeeded(t, res, l)
			out := string(res.Payload) + l.all()
			if strings.Contains(out, jwt) || strings.Contains(out, db) || strings.Contains(out, "VOLTRUN_JWT_SECRET") || strings.Contains(out, "DATABASE_URL") {
				t.Fatalf("the server's environment reached the sandbox: %.3000s", out)
			}
			if env, _ := m["env"].(map[string]any); env["MY_VAR"] != "mine" {
				t.Errorf("the function's own env is missing: %v", m["env"])
			}
		})
	}
	s.requireHealthy(t)
}
