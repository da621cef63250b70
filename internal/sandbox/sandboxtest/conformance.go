package sandboxtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

func (s *suite) conformance(t *testing.T) {
	for name, test := range map[string]func(*testing.T){
		"Context":         s.testContext,
		"Logs":            s.testLogs,
		"LogLimits":       s.testLogLimits,
		"Handlers":        s.testHandlers,
		"HandlerErrors":   s.testHandlerErrors,
		"LoadErrors":      s.testLoadErrors,
		"NonSerialisable": s.testNonSerialisable,
		"ExitMidCall":     s.testExitMidCall,
		"WarmReuse":       s.testWarmReuse,
		"Lifecycle":       s.testLifecycle,
		"Timeout":         s.testTimeout,
		"Abort":           s.testAbort,
		"PreWarm":         s.testPreWarm,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t)
		})
	}
}

const nodeContext = `exports.handler = async (event, ctx) => ({
  event,
  functionName: ctx.functionName, functionVersion: ctx.functionVersion,
  requestId: ctx.awsRequestId, memory: ctx.memoryLimitInMB,
  remaining: ctx.getRemainingTimeInMillis(),
  foo: process.env.FOO, fnEnv: process.env.VOLTRUN_FUNCTION_NAME, cwd: process.cwd(),
});`

const pythonContext = `import os
def handler(event, ctx):
    return {
        "event": event,
        "functionName": ctx.function_name, "functionVersion": ctx.function_version,
        "requestId": ctx.aws_request_id, "memory": ctx.memory_limit_in_mb,
        "remaining": ctx.get_remaining_time_in_millis(),
        "foo": os.environ.get("FOO"), "fnEnv": os.environ.get("VOLTRUN_FUNCTION_NAME"), "cwd": os.getcwd(),
    }
`

// testContext: the handler reads its event, every context field and env.
func (s *suite) testContext(t *testing.T) {
	for _, tc := range []struct {
		rt, file, code, handler string
		memory                  any
	}{
		{sandbox.RuntimeNode, "index.js", nodeContext, "index.handler", "128"}, // a string, as on Lambda
		{sandbox.RuntimePython, "main.py", pythonContext, "main.handler", float64(128)},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler, env: map[string]string{"FOO": "bar baz"}})
			event := `{"a":[1,2,{"b":null}],"s":"héllo ✓","n":1.5,"t":true}`
			res, l := call(t, inst, event, 5*time.Second)
			m := succeeded(t, res, l)
			if got := mustJSON(m["event"]); !jsonEqual(got, []byte(event)) {
				t.Errorf("event %s, want %s", got, event)
			}
			want := map[string]any{"functionName": "test-fn", "functionVersion": "3", "requestId": "exec-1", "memory": tc.memory, "foo": "bar baz", "fnEnv": "test-fn", "cwd": "/var/task"}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("%s = %#v, want %#v", k, m[k], v)
				}
			}
			if r, _ := m["remaining"].(float64); r <= 0 || r > 5000 {
				t.Errorf("remaining time %v ms, want in (0, 5000]", m["remaining"])
			}
		})
	}
}

// testLogs: lines are delivered in order per stream, attributed to the call
// that printed them (a child process's too); import-time output goes to the
// first call.
func (s *suite) testLogs(t *testing.T) {
	for _, tc := range []struct{ rt, file, code, handler string }{
		{sandbox.RuntimeNode, "index.js", `const { execFileSync } = require("child_process");
console.log("import line");
exports.handler = async (e) => {
  for (let i = 0; i < e.n; i++) console.log("out " + e.tag + " " + i);
  console.error("err " + e.tag);
  await new Promise((r) => setTimeout(r, 5));
  execFileSync("/bin/echo", ["child " + e.tag], { stdio: ["ignore", "inherit", "inherit"] });
  process.stdout.write("partial " + e.tag);
  return "ok";
};`, "index.handler"},
		{sandbox.RuntimePython, "main.py", `import subprocess, sys
print("import line")
def handler(e, c):
    for i in range(e["n"]):
        print("out %s %d" % (e["tag"], i))
    print("err " + e["tag"], file=sys.stderr)
    subprocess.run(["/bin/echo", "child " + e["tag"]])
    sys.stdout.write("partial " + e["tag"])
    return "ok"
`, "main.handler"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			for i, tag := range []string{"a", "b", "c"} {
				res, l := call(t, inst, fmt.Sprintf(`{"n":200,"tag":%q}`, tag), 5*time.Second)
				if res.Status != sandbox.StatusSucceeded {
					t.Fatalf("call %s: %s %s %+v", tag, res.Status, res.Reason, res.Error)
				}
				var want []string
				if i == 0 {
					want = append(want, "import line")
				}
				for j := range 200 {
					want = append(want, fmt.Sprintf("out %s %d", tag, j))
				}
				want = append(want, "child "+tag, "partial "+tag)
				if got := l.of(sandbox.StreamStdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("call %s stdout: got %d lines (first %q, last %q), want %d", tag, len(got), first(got), last(got), len(want))
				}
				if got := l.of(sandbox.StreamStderr); len(got) != 1 || got[0] != "err "+tag {
					t.Fatalf("call %s stderr: %q", tag, got)
				}
			}
		})
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// testLogLimits: long lines are split, output past the cap is dropped with
// one note, and the next call has a fresh budget.
func (s *suite) testLogLimits(t *testing.T) {
	inst := s.start(t, fn{rt: sandbox.RuntimeNode, files: map[string]string{"index.js": `exports.handler = async (e) => {
  if (e.small) { console.log("small"); return 1; }
  console.log("x".repeat(40000));
  for (let i = 0; i < 400; i++) console.log("y".repeat(1000));
  return 2;
};`}, handler: "index.handler"})
	res, l := call(t, inst, `{}`, 10*time.Second)
	if res.Status != sandbox.StatusSucceeded || !res.LogsTruncated {
		t.Fatalf("status %s, truncated %v", res.Status, res.LogsTruncated)
	}
	out := l.of(sandbox.StreamStdout)
	if len(out) < 3 || len(out[0]) != sandbox.MaxLogLineBytes || len(out[1]) != sandbox.MaxLogLineBytes || len(out[2]) != 40000-2*sandbox.MaxLogLineBytes {
		t.Fatalf("long line not split into %d-byte pieces: %d lines", sandbox.MaxLogLineBytes, len(out))
	}
	total := 0
	for _, x := range out {
		total += len(x)
	}
	if total > sandbox.MaxLogBytes || total < sandbox.MaxLogBytes-2000 {
		t.Errorf("delivered %d bytes, want just under %d", total, sandbox.MaxLogBytes)
	}
	if sys := l.of(sandbox.StreamSystem); len(sys) != 1 || sys[0] != sandbox.TruncatedNote {
		t.Errorf("system lines %q, want one truncation note", sys)
	}
	res, l = call(t, inst, `{"small":true}`, 5*time.Second)
	if got := l.of(sandbox.StreamStdout); res.LogsTruncated || len(got) != 1 || got[0] != "small" {
		t.Errorf("next call logs %q truncated %v", got, res.LogsTruncated)
	}
}

// testHandlers: handler styles and module layouts.
func (s *suite) testHandlers(t *testing.T) {
	for _, tc := range []struct {
		name, rt, handler, want string
		files                   map[string]string
	}{
		{"node async", sandbox.RuntimeNode, "index.handler", `{"async":1}`, map[string]string{"index.js": "exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 20)); return { async: e.x }; };"}},
		{"node sync", sandbox.RuntimeNode, "index.handler", `{"sync":1}`, map[string]string{"index.js": "exports.handler = (e) => ({ sync: e.x });"}},
		{"node callback", sandbox.RuntimeNode, "index.handler", `{"cb":1}`, map[string]string{"index.js": "exports.handler = (e, ctx, cb) => { setTimeout(() => cb(null, { cb: e.x }), 5); };"}},
		{"node undefined is null", sandbox.RuntimeNode, "index.handler", `null`, map[string]string{"index.js": "exports.handler = async () => {};"}},
		{"node require", sandbox.RuntimeNode, "index.handler", `2`, map[string]string{"lib/util.js": "module.exports = (x) => x * 2;", "index.js": "const u = require('./lib/util'); exports.handler = (e) => u(e.x);"}},
		{"node esm mjs", sandbox.RuntimeNode, "index.handler", `{"esm":1}`, map[string]string{"index.mjs": "export const handler = async (e) => ({ esm: e.x });"}},
		{"node esm package type module", sandbox.RuntimeNode, "src/app.handler", `{"mod":1}`, map[string]string{
			"package.json":  `{"type":"module"}`,
			"src/app.js":    "import { helper } from './helper.js';\nconst base = await Promise.resolve(0);\nexport async function handler(e) { return helper(e.x + base); }",
			"src/helper.js": "export const helper = (x) => ({ mod: x });",
		}},
		{"python", sandbox.RuntimePython, "main.handler", `{"py":1}`, map[string]string{"main.py": "def handler(e, c):\n    return {'py': e['x']}\n"}},
		{"python none is null", sandbox.RuntimePython, "main.handler", `null`, map[string]string{"main.py": "def handler(e, c):\n    pass\n"}},
		{"python async def", sandbox.RuntimePython, "main.handler", `"async 1"`, map[string]string{"main.py": "async def handler(e, c):\n    return 'async %d' % e['x']\n"}},
		{"python package path", sandbox.RuntimePython, "pkg/mod.handler", `2`, pythonPackage},
		{"python package dotted", sandbox.RuntimePython, "pkg.mod.handler", `2`, pythonPackage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: tc.files, handler: tc.handler})
			res, l := call(t, inst, `{"x":1}`, 5*time.Second)
			if res.Status != sandbox.StatusSucceeded || !jsonEqual(res.Payload, []byte(tc.want)) {
				t.Fatalf("got %s %s %s %+v, want %s; logs:\n%s", res.Status, res.Reason, res.Payload, res.Error, tc.want, l.all())
			}
		})
	}
}

var pythonPackage = map[string]string{
	"pkg/__init__.py": "",
	"pkg/mod.py":      "from .helper import double\n\ndef handler(e, c):\n    return double(e['x'])\n",
	"pkg/helper.py":   "def double(x):\n    return x * 2\n",
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
