package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

type logRec struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRec) sink(stream, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, stream+": "+line)
}

func (l *logRec) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func TestLocalRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rt      string
		files   map[string]string
		handler string
	}{
		{sandbox.RuntimeNode, map[string]string{"index.js": `
let n = 0;
console.log("loading");
exports.handler = async (event, ctx) => { n++; console.log("hi", event.x); console.error("err line"); process.stdout.write("partial"); return {n, x: event.x, fn: ctx.functionName, id: ctx.awsRequestId, left: ctx.getRemainingTimeInMillis() > 0, env: process.env.FOO}; };`}, "index.handler"},
		{sandbox.RuntimePython, map[string]string{"main.py": `
import os, sys
n = 0
print("loading")
def handler(event, ctx):
    global n
    n += 1
    print("hi", event["x"])
    print("err line", file=sys.stderr)
    sys.stdout.write("partial")
    return {"n": n, "x": event["x"], "fn": ctx.function_name, "id": ctx.aws_request_id, "left": ctx.get_remaining_time_in_millis() > 0, "env": os.environ.get("FOO")}
`}, "main.handler"},
	}
	for _, tc := range cases {
		for _, direct := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/direct=%v", tc.rt, direct), func(t *testing.T) {
				t.Parallel()
				testRoundTrip(t, startLocalWith(t, tc.rt, tc.files, localOptions{direct: direct}), tc.handler)
			})
		}
	}
}

func testRoundTrip(t *testing.T, l *local, handler string) {
	ctx := context.Background()
	if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: handler, Env: map[string]string{"FOO": "bar"}, FunctionName: "f", MemoryMB: 128}); err != nil {
		t.Fatalf("load: %v", err)
	}
	for i := 1; i <= 2; i++ {
		var logs logRec
		res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e1", Event: []byte(`{"x":7}`), Deadline: time.Now().Add(5 * time.Second)}, logs.sink)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			t.Fatalf("invoke: %+v %v %+v", res, err, res.Error)
		}
		var got map[string]any
		if err := json.Unmarshal(res.Payload, &got); err != nil {
			t.Fatalf("payload %q: %v", res.Payload, err)
		}
		if got["n"] != float64(i) || got["x"] != float64(7) || got["fn"] != "f" || got["id"] != "e1" || got["left"] != true || got["env"] != "bar" {
			t.Errorf("payload %s", res.Payload)
		}
		want := []string{"stdout: hi 7", "stderr: err line", "stdout: partial"}
		if i == 1 {
			want = append([]string{"stdout: loading"}, want...)
		}
		if g := logs.all(); !sameLines(g, want) {
			t.Errorf("call %d logs %q, want (any interleaving of streams) %q", i, g, want)
		}
	}
}

// sameLines compares per stream, since stdout and stderr are two pipes.
func sameLines(got, want []string) bool {
	pick := func(l []string, p string) string {
		var b strings.Builder
		for _, s := range l {
			if strings.HasPrefix(s, p) {
				b.WriteString(s + "\n")
			}
		}
		return b.String()
	}
	return len(got) == len(want) && pick(got, "stdout") == pick(want, "stdout") && pick(got, "stderr") == pick(want, "stderr")
}

// TestLocalShortAnswerIsAProtocolError: user code can write frames on fd
// 4; an answer too short to carry the call's time breaks the protocol, and
// the instance is killed rather than its answer half read.
func TestLocalShortAnswerIsAProtocolError(t *testing.T) {
	t.Parallel()
	forge := map[string]map[string]string{
		sandbox.RuntimeNode: {"index.js": `exports.handler = async () => { require("fs").writeSync(4, Buffer.from([0, 0, 0, 2, 0x4f, 0x7b, 0x7d])); return 1; };`},
		sandbox.RuntimePython: {"main.py": `import os
def handler(event, ctx):
    os.write(4, bytes([0, 0, 0, 2, 0x4f, 0x7b, 0x7d]))
    return 1
`},
	}
	for rt, files := range forge {
		t.Run(rt, func(t *testing.T) {
			t.Parallel()
			l := startLocal(t, rt, files)
			if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: handlerFor[rt]}); err != nil {
				t.Fatal(err)
			}
			res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "1", Event: []byte(`{}`)}, nil)
			if err != nil || res.Status != sandbox.StatusFailed || res.Reason != sandbox.ReasonProtocol || !res.Dead {
				t.Fatalf("forged short answer: %v %+v; want a failed, dead call with reason %q", err, res, sandbox.ReasonProtocol)
			}
		})
	}
}

func TestLocalTimeout(t *testing.T) {
	t.Parallel()
	l := startLocal(t, sandbox.RuntimeNode, map[string]string{"index.js": `exports.handler = () => { console.log("spin"); for(;;){} };`})
	ctx := context.Background()
	if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
		t.Fatal(err)
	}
	var logs logRec
	start := time.Now()
	res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Deadline: time.Now().Add(300 * time.Millisecond)}, logs.sink)
	if err != nil || res.Status != sandbox.StatusTimeout || !res.Dead {
		t.Fatalf("got %+v %v", res, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timeout took %v", d)
	}
	if g := logs.all(); len(g) != 1 || g[0] != "stdout: spin" {
		t.Errorf("logs %q", g)
	}
}

func TestLocalAbort(t *testing.T) {
	t.Parallel()
	l := startLocal(t, sandbox.RuntimePython, map[string]string{"main.py": "import time\ndef handler(e, c):\n    time.sleep(30)\n"})
	if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Deadline: time.Now().Add(10 * time.Second)}, nil)
	if !errors.Is(err, sandbox.ErrAborted) || res.Status != sandbox.StatusKilled || res.Reason != sandbox.ReasonAborted || !res.Dead {
		t.Fatalf("got %+v %v", res, err)
	}
}

// TestLocalPythonCodec: the Python bootstrap decodes events and encodes
// results as json.loads and json.dumps would (non-ASCII kept, big integers
// exact, NaN refused), without importing the json package itself.
func TestLocalPythonCodec(t *testing.T) {
	t.Parallel()
	l := startLocal(t, sandbox.RuntimePython, map[string]string{"main.py": `
import sys
def handler(event, ctx):
    if event.get("nan"):
        return float("nan")
    return {"event": event, "json_loaded": "json" in sys.modules, "big": 2**70, "text": "h\u00e9llo \u2713"}
`})
	ctx := context.Background()
	if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	event := ` {"s":"\u00e9\ud83d\ude00\n\"","n":[1.5e300,-0.0,12345678901234567890],"o":{"k":null,"t":true}} `
	res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Event: []byte(event), Deadline: time.Now().Add(5 * time.Second)}, nil)
	if err != nil || res.Status != sandbox.StatusSucceeded {
		t.Fatalf("invoke: %+v %v %+v", res, err, res.Error)
	}
	for _, want := range []string{`"json_loaded":false`, `"big":1180591620717411303424`, `"text":"héllo ✓"`, `12345678901234567890`, `"s":"é😀\n\""`} {
		if !strings.Contains(string(res.Payload), want) {
			t.Errorf("payload %s lacks %s", res.Payload, want)
		}
	}
	var got struct{ Event map[string]any }
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatal(err)
	}
	var sent map[string]any
	_ = json.Unmarshal([]byte(event), &sent)
	if a, b := mustMarshal(t, got.Event), mustMarshal(t, sent); a != b {
		t.Errorf("event came back as %s, want %s", a, b)
	}
	res, err = l.client.Invoke(ctx, sandbox.Request{ID: "f", Event: []byte(`{"nan":1}`), Deadline: time.Now().Add(5 * time.Second)}, nil)
	if err != nil || res.Status != sandbox.StatusFailed || res.Reason != sandbox.ReasonNonSerialisable {
		t.Fatalf("NaN result: %+v %v", res, err)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLocalPythonReseed: two runtimes whose random state is the same (as
// instances restored from one snapshot are) draw different numbers after
// Reseed, and Reseed leaves a function that never imported random alone.
func TestLocalPythonReseed(t *testing.T) {
	t.Parallel()
	seeded := `
import random
random.seed(7)  # the state a snapshot would fix
def handler(event, ctx):
    return random.random()
`
	draw := func(l *local) string {
		res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "e", Deadline: time.Now().Add(5 * time.Second)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			t.Fatalf("invoke: %+v %v", res, err)
		}
		return string(res.Payload)
	}
	var runtimes []*local
	for range 2 {
		l := startLocal(t, sandbox.RuntimePython, map[string]string{"main.py": seeded})
		if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
			t.Fatal(err)
		}
		runtimes = append(runtimes, l)
	}
	if a, b := draw(runtimes[0]), draw(runtimes[1]); a != b {
		t.Fatalf("the same seed drew %s and %s: the test's premise fails", a, b)
	}
	for _, l := range runtimes {
		if err := l.client.Reseed(); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := draw(runtimes[0]), draw(runtimes[1]); a == b {
		t.Errorf("after Reseed both runtimes drew %s", a)
	}

	plain := startLocal(t, sandbox.RuntimePython, map[string]string{"main.py": "import sys\ndef handler(e, c):\n    return 'random' in sys.modules\n"})
	if err := plain.client.Load(context.Background(), sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	if err := plain.client.Reseed(); err != nil {
		t.Fatal(err)
	}
	if got := draw(plain); got != "false" {
		t.Errorf("Reseed imported random into a function that never did: %s", got)
	}
}

// TestLocalLargeEvents: events that span many pipe reads arrive whole, and
// the calls after them are framed right.
func TestLocalLargeEvents(t *testing.T) {
	t.Parallel()
	for rt, files := range map[string]map[string]string{
		sandbox.RuntimeNode:   {"index.js": `exports.handler = async (e) => [e.s.length, e.s.slice(-3)];`},
		sandbox.RuntimePython: {"main.py": "def handler(e, c):\n    return [len(e['s']), e['s'][-3:]]\n"},
	} {
		t.Run(rt, func(t *testing.T) {
			t.Parallel()
			l := startLocal(t, rt, files)
			if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: handlerFor[rt]}); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{sandbox.MaxEventBytes - 64, 3, 200_000, 1} {
				s := strings.Repeat("x", n-1) + "yz"[n%2:n%2+1]
				res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "e", Event: []byte(`{"s":"` + s + `"}`), Deadline: time.Now().Add(10 * time.Second)}, nil)
				if err != nil || res.Status != sandbox.StatusSucceeded {
					t.Fatalf("%d bytes: %+v %v", n, res, err)
				}
				var got []any
				if err := json.Unmarshal(res.Payload, &got); err != nil || len(got) != 2 || got[0] != float64(n) || got[1] != s[max(0, n-3):] {
					t.Errorf("%d bytes: got %.80s (%v)", n, res.Payload, err)
				}
			}
		})
	}
}

// TestPythonBootstrapLeavesOsToTheHandler: the Python bootstrap starts
// without the os module (2-3 ms of a cold start), yet a handler that
// imports it afterwards sees the environment the bootstrap set and not
// what it took out.
func TestPythonBootstrapLeavesOsToTheHandler(t *testing.T) {
	t.Parallel()
	l := startLocalWith(t, sandbox.RuntimePython, map[string]string{"main.py": `import sys
BEFORE = "os" in sys.modules
import os
def handler(e, c):
    env = os.environ
    return [BEFORE, env.get("FOO"), env.get("AWS_LAMBDA_FUNCTION_NAME"), env.get("VOLTRUN_FUNCTION_MEMORY_MB"), env.get("VOLTRUN_TASK_ROOT")]
`}, localOptions{})
	req := sandbox.LoadRequest{Handler: "main.handler", Env: map[string]string{"FOO": "bär"}, FunctionName: "fn-env", MemoryMB: 256}
	if err := l.client.Load(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "e", Deadline: time.Now().Add(5 * time.Second)}, nil)
	if want := `[false,"bär","fn-env","256",null]`; err != nil || string(res.Payload) != want {
		t.Fatalf("the handler saw %s (%+v, %v), want %s", res.Payload, res, err, want)
	}
}
