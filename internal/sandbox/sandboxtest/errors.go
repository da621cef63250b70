package sandboxtest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// testHandlerErrors: thrown errors fail the call with the user's type,
// message and frames only; the instance stays usable.
func (s *suite) testHandlerErrors(t *testing.T) {
	for _, tc := range []struct {
		name, rt, file, code, handler, typ, msg, frame string
	}{
		{"node throw", sandbox.RuntimeNode, "index.js", "function inner() { throw new TypeError('bad thing'); }\nexports.handler = async () => inner();", "index.handler", "TypeError", "bad thing", "/var/task/index.js:1"},
		{"node sync throw", sandbox.RuntimeNode, "index.js", "exports.handler = () => { null.x; };", "index.handler", "TypeError", "Cannot read properties of null (reading 'x')", "/var/task/index.js:1"},
		{"node throw string", sandbox.RuntimeNode, "index.js", "exports.handler = async () => { throw 'just a string'; };", "index.handler", "string", "just a string", ""},
		{"node callback error", sandbox.RuntimeNode, "index.js", "exports.handler = (e, c, cb) => cb(new RangeError('via callback'));", "index.handler", "RangeError", "via callback", "/var/task/index.js:1"},
		{"node uncaught in timer", sandbox.RuntimeNode, "index.js", "exports.handler = () => new Promise(() => { setTimeout(() => { throw new SyntaxError('from timer'); }, 5); });", "index.handler", "SyntaxError", "from timer", "/var/task/index.js:1"},
		{"node unhandled rejection", sandbox.RuntimeNode, "index.js", "exports.handler = async () => { Promise.reject(new Error('floating')); await new Promise((r) => setTimeout(r, 2000)); };", "index.handler", "Error", "floating", "/var/task/index.js:1"},
		{"python raise", sandbox.RuntimePython, "main.py", "def inner():\n    raise ValueError('bad thing')\n\ndef handler(e, c):\n    inner()\n", "main.handler", "ValueError", "bad thing", `File "/var/task/main.py", line 2, in inner`},
		{"python key error", sandbox.RuntimePython, "main.py", "def handler(e, c):\n    return e['missing']\n", "main.handler", "KeyError", "'missing'", `File "/var/task/main.py", line 2, in handler`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			for range 2 { // the instance survives a handled error
				res, l := call(t, inst, `{}`, 5*time.Second)
				if res.Status != sandbox.StatusFailed || res.Reason != sandbox.ReasonError || res.Dead || res.Error == nil {
					t.Fatalf("got %s %s dead=%v %+v; logs:\n%s", res.Status, res.Reason, res.Dead, res.Error, l.all())
				}
				e := res.Error
				if e.Type != tc.typ || e.Message != tc.msg {
					t.Errorf("error %q %q, want %q %q", e.Type, e.Message, tc.typ, tc.msg)
				}
				if tc.frame != "" && (len(e.Stack) == 0 || !strings.Contains(e.Stack[0], tc.frame)) {
					t.Errorf("stack %q: first frame should contain %q", e.Stack, tc.frame)
				}
				for _, f := range e.Stack {
					if strings.Contains(f, "/opt/voltrun") || strings.Contains(f, "node:internal") || strings.Contains(f, "bootstrap") {
						t.Errorf("stack keeps a runtime frame: %q", f)
					}
				}
			}
		})
	}
}

// testLoadErrors: the function's own load failures are *LoadError with a
// reason; the instance is dead afterwards and Destroy still works.
func (s *suite) testLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, rt, handler string
		files             map[string]string
		reason            sandbox.Reason
		typ, frame        string
	}{
		{"node export missing", sandbox.RuntimeNode, "index.handler", map[string]string{"index.js": "exports.other = () => 1;"}, sandbox.ReasonHandlerNotFound, "Runtime.HandlerNotFound", ""},
		{"node export not a function", sandbox.RuntimeNode, "index.handler", map[string]string{"index.js": "exports.handler = 42;"}, sandbox.ReasonHandlerNotFound, "Runtime.HandlerNotFound", ""},
		{"node module missing", sandbox.RuntimeNode, "missing.handler", map[string]string{"index.js": ""}, sandbox.ReasonHandlerNotFound, "Runtime.HandlerNotFound", ""},
		{"node malformed handler", sandbox.RuntimeNode, "index", map[string]string{"index.js": ""}, sandbox.ReasonHandlerNotFound, "Runtime.InvalidHandler", ""},
		{"node syntax error", sandbox.RuntimeNode, "index.handler", map[string]string{"index.js": "exports.handler = () => {\n  return 1 +;\n};\n"}, sandbox.ReasonSyntaxError, "SyntaxError", "/var/task/index.js:2"},
		{"node esm syntax error", sandbox.RuntimeNode, "index.handler", map[string]string{"index.mjs": "export const handler = () => {\n  return 1 +;\n};\n"}, sandbox.ReasonSyntaxError, "SyntaxError", "/var/task/index.mjs:2"},
		{"node import throws", sandbox.RuntimeNode, "index.handler", map[string]string{"index.js": "throw new Error('no config');"}, sandbox.ReasonInitError, "Error", "/var/task/index.js:1"},
		{"python attribute missing", sandbox.RuntimePython, "main.handler", map[string]string{"main.py": "x = 1\n"}, sandbox.ReasonHandlerNotFound, "Runtime.HandlerNotFound", ""},
		{"python module missing", sandbox.RuntimePython, "nope.handler", map[string]string{"main.py": ""}, sandbox.ReasonHandlerNotFound, "Runtime.HandlerNotFound", ""},
		{"python syntax error", sandbox.RuntimePython, "main.handler", map[string]string{"main.py": "def handler(e, c):\n    return 1 +\n"}, sandbox.ReasonSyntaxError, "SyntaxError", `File "/var/task/main.py", line 2`},
		{"python import error", sandbox.RuntimePython, "main.handler", map[string]string{"main.py": "import notamodule\n"}, sandbox.ReasonInitError, "ModuleNotFoundError", `File "/var/task/main.py", line 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := s.create(t, fn{rt: tc.rt, files: tc.files})
			err := load(inst, fn{handler: tc.handler})
			var le *sandbox.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("load: got %v, want a *LoadError", err)
			}
			if le.Reason != tc.reason || le.Err.Type != tc.typ || le.Err.Message == "" {
				t.Errorf("load error %s %q %q, want %s %q", le.Reason, le.Err.Type, le.Err.Message, tc.reason, tc.typ)
			}
			if tc.frame != "" && (len(le.Err.Stack) == 0 || !strings.Contains(le.Err.Stack[0], tc.frame)) {
				t.Errorf("stack %q: first entry should contain %q", le.Err.Stack, tc.frame)
			}
			if !errors.Is(err, sandbox.ErrInstanceDead) {
				t.Errorf("load error does not wrap ErrInstanceDead")
			}
			requireDead(t, inst)
		})
	}
}

// testNonSerialisable: results that are not JSON fail the call cleanly.
func (s *suite) testNonSerialisable(t *testing.T) {
	for _, tc := range []struct{ name, rt, file, code, handler string }{
		{"node bigint", sandbox.RuntimeNode, "index.js", "exports.handler = async () => ({ n: 10n });", "index.handler"},
		{"node circular", sandbox.RuntimeNode, "index.js", "exports.handler = async () => { const a = {}; a.self = a; return a; };", "index.handler"},
		{"python set", sandbox.RuntimePython, "main.py", "def handler(e, c):\n    return {1, 2}\n", "main.handler"},
		{"python nan", sandbox.RuntimePython, "main.py", "def handler(e, c):\n    return {'x': float('nan')}\n", "main.handler"},
		{"python object", sandbox.RuntimePython, "main.py", "def handler(e, c):\n    return object()\n", "main.handler"},
		{"python circular", sandbox.RuntimePython, "main.py", "def handler(e, c):\n    a = []\n    a.append(a)\n    return a\n", "main.handler"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			res, _ := call(t, inst, `{}`, 5*time.Second)
			if res.Status != sandbox.StatusFailed || res.Reason != sandbox.ReasonNonSerialisable || res.Dead || res.Error == nil || res.Payload != nil {
				t.Fatalf("got %s %s dead=%v payload=%q %+v", res.Status, res.Reason, res.Dead, res.Payload, res.Error)
			}
		})
	}
}

// testExitMidCall: a runtime exiting during a call fails it with its exit
// code, after delivering what it printed; the instance is dead.
func (s *suite) testExitMidCall(t *testing.T) {
	for _, tc := range []struct {
		name, rt, file, code, handler string
		exit                          int
	}{
		{"node process.exit", sandbox.RuntimeNode, "index.js", "exports.handler = async () => { console.log('bye'); process.exit(3); };", "index.handler", 3},
		{"python sys.exit", sandbox.RuntimePython, "main.py", "import sys\ndef handler(e, c):\n    print('bye')\n    sys.exit(4)\n", "main.handler", 4},
		{"python os._exit(0)", sandbox.RuntimePython, "main.py", "import os, sys\ndef handler(e, c):\n    print('bye')\n    sys.stdout.flush()\n    os._exit(0)\n", "main.handler", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			res, l := call(t, inst, `{}`, 5*time.Second)
			if res.Status != sandbox.StatusFailed || res.Reason != sandbox.ExitCodeReason(tc.exit) || !res.Dead || res.Error == nil {
				t.Fatalf("got %s %s dead=%v %+v", res.Status, res.Reason, res.Dead, res.Error)
			}
			if got := l.of(sandbox.StreamStdout); len(got) != 1 || got[0] != "bye" {
				t.Errorf("logs %q, want [bye]", got)
			}
			requireDead(t, inst)
		})
	}
}

// testWarmReuse: later calls reuse the loaded module and its state.
func (s *suite) testWarmReuse(t *testing.T) {
	for _, tc := range []struct{ rt, file, code, handler string }{
		{sandbox.RuntimeNode, "index.js", "let n = 0;\nexports.handler = async () => ({ n: ++n });", "index.handler"},
		{sandbox.RuntimePython, "main.py", "n = 0\ndef handler(e, c):\n    global n\n    n += 1\n    return {'n': n}\n", "main.handler"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			for i := 1; i <= 5; i++ {
				res, l := call(t, inst, `{}`, 5*time.Second)
				if m := succeeded(t, res, l); m["n"] != float64(i) || res.Dead {
					t.Fatalf("call %d: %s dead=%v", i, res.Payload, res.Dead)
				}
			}
		})
	}
}
