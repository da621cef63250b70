package main

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// probe is a Node handler that tries each operation in event.ops and
// reports, per operation, "ok: <data>" or "err: <code>".
const probe = `
const fs = require("fs"), net = require("net");
const tryIt = async (f) => { try { return "ok: " + String(await f()).slice(0, 4000); } catch (e) { return "err: " + (e.code || e.message); } };
const connect = (host, port) => new Promise((res, rej) => {
  const s = net.connect({ host, port, timeout: 2000 }, () => { s.destroy(); res("connected"); });
  s.on("error", rej); s.on("timeout", () => { s.destroy(); rej(new Error("ETIMEDOUT")); });
});
exports.handler = async (event) => {
  const out = {};
  for (const [name, op] of Object.entries(event.ops)) {
    out[name] = await tryIt(() => {
      switch (op.kind) {
        case "read": return fs.readFileSync(op.path, "utf8");
        case "list": return fs.readdirSync(op.path).join(",");
        case "write": fs.writeFileSync(op.path, "x"); return "written";
        case "connect": return connect(op.host, op.port);
        case "env": return JSON.stringify(process.env);
      }
    });
  }
  return out;
};`

// TestContainment runs attacks through the real server, each against what
// this server holds (its data dir, its port, its environment), and checks
// that each fails and the server keeps serving another tenant.
func TestContainment(t *testing.T) {
	// The server process's own environment holds secrets in production.
	t.Setenv("VOLTRUN_JWT_SECRET", testSecret)
	t.Setenv("DATABASE_URL", "postgres://leak-marker-"+testSecret+"@db/prod")
	s, attacker := fnServer(t, map[string]string{"VOLTRUN_JWT_SECRET": testSecret})
	victim := bearer(s.register("victim@example.com"))
	s.deploy(victim, map[string]any{"name": "victim", "runtime": "python", "code": "SECRET = 'victim-code-marker'\ndef handler(e, c):\n    return 'alive'\n"})
	s.invoke(victim, "victim", nil) // its code is now in a sandbox's code dir on the host
	s.deploy(attacker, map[string]any{"name": "probe", "runtime": "nodejs", "code": probe})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))

	ops := map[string]map[string]any{
		"shadow":       {"kind": "read", "path": "/etc/shadow"},
		"jwt secret":   {"kind": "read", "path": filepath.Join(s.dataDir, "jwt-secret")},
		"database":     {"kind": "read", "path": filepath.Join(s.dataDir, "voltrun.db")},
		"sandboxes":    {"kind": "list", "path": filepath.Join(s.dataDir, "sandboxes")},
		"host root":    {"kind": "list", "path": "/proc/1/root/" + strings.TrimPrefix(s.dataDir, "/")},
		"pid1 environ": {"kind": "read", "path": "/proc/1/environ"},
		"write root":   {"kind": "write", "path": "/pwned"},
		"write code":   {"kind": "write", "path": "/var/task/index.js"},
		"write usr":    {"kind": "write", "path": "/usr/pwned"},
		"server port":  {"kind": "connect", "host": "127.0.0.1", "port": port},
		"other host":   {"kind": "connect", "host": "10.255.255.1", "port": 80},
	}
	r := s.do("POST", "/api/functions/probe/invoke", map[string]any{"ops": ops}, attacker...)
	expect(t, r, 200, "")
	res := r.json(t)
	if res["status"] != "succeeded" {
		t.Fatalf("probe did not run: %s", r.Body)
	}
	got := res["result"].(map[string]any)
	for name := range ops {
		v := fmt.Sprint(got[name])
		if !strings.HasPrefix(v, "err: ") && name != "pid1 environ" {
			t.Errorf("%s: the attack worked: %s", name, v)
		}
		if strings.Contains(v, testSecret) || strings.Contains(v, "victim-code-marker") {
			t.Errorf("%s leaked a secret: %s", name, v)
		}
	}
	r = s.do("POST", "/api/functions/probe/invoke", map[string]any{"ops": map[string]any{"env": map[string]any{"kind": "env"}}}, attacker...)
	if env := string(r.Body); !strings.Contains(env, "PATH") || strings.Contains(env, testSecret) ||
		strings.Contains(env, "VOLTRUN_JWT_SECRET") || strings.Contains(env, "VOLTRUN_DATA_DIR") || strings.Contains(env, "DATABASE_URL") {
		t.Fatalf("server environment reached the function: %s", env)
	}

	// Resource attacks end in their documented status; the victim is served after each.
	attacks := []struct{ name, code, status, reason string }{
		{"fork bomb", `const { spawn } = require("child_process");
exports.handler = async () => { const kids = []; for (let i = 0; i < 500; i++) { try { kids.push(spawn("/bin/sh", ["-c", "sleep 30"])); } catch (e) { return "refused after " + i; } } await new Promise(r => setTimeout(r, 2000)); return "spawned " + kids.length; };`, "", ""},
		{"memory", `exports.handler = async () => { const a = []; for (;;) a.push(Buffer.alloc(16 << 20, 1)); };`, "killed", "out_of_memory"},
		{"cpu spin", `exports.handler = () => { for (;;) {} };`, "timeout", "timeout"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			name := strings.ReplaceAll(a.name, " ", "-")
			s.deploy(attacker, map[string]any{"name": name, "runtime": "nodejs", "code": a.code, "timeout_ms": 4000, "memory_mb": 128})
			res := s.invoke(attacker, name, nil)
			if a.status != "" && (res["status"] != a.status || res["reason"] != a.reason) {
				t.Fatalf("status %v reason %v, want %s %s: %v", res["status"], res["reason"], a.status, a.reason, res)
			}
			if a.name == "fork bomb" {
				if v, _ := res["result"].(string); res["status"] == "succeeded" && !strings.HasPrefix(v, "refused") {
					t.Fatalf("fork bomb not contained: %v", res)
				}
			}
			if out := s.invoke(victim, "victim", nil); out["result"] != "alive" {
				t.Fatalf("victim not served after %s: %v", a.name, out)
			}
		})
	}
}
