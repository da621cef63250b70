package runtime

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// netLoaded answers whether Node's net module (what process.stdout and
// process.stderr load on a pipe) was loaded when the module was imported
// and when the call began, and prints after that when asked.
const netLoaded = `const net = () => process.moduleLoadList.includes("NativeModule net");
const atImport = net();
exports.handler = async (e) => {
  const atCall = net();
  if (e.print) console.log("printed");
  return [atImport, atCall];
};`

// TestNodeStdioCreatedOnUse: the Node bootstrap leaves stdout and stderr
// (and the net module behind them) to be created by the first print or the
// first drain markers, unless the instance waits idle first, as a
// pre-warmed one does, or its output is relayed (bootstrap.RelayedOutput);
// either way the output arrives.
func TestNodeStdioCreatedOnUse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		idle   time.Duration
		direct bool
		env    []string
		want   string // net loaded [at import, at the first call]
	}{
		{"at once/direct", 0, true, nil, "[false,false]"},
		{"at once/markers", 0, false, nil, "[false,true]"}, // the load's markers
		{"at once/relayed", 0, false, []string{bootstrap.RelayedOutput}, "[true,true]"},
		{"idle first/direct", time.Second, true, nil, "[true,true]"}, // the bootstrap waits 50 ms
		{"idle first/markers", time.Second, false, nil, "[true,true]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := startLocalWith(t, sandbox.RuntimeNode, map[string]string{"index.js": netLoaded}, localOptions{direct: tc.direct, env: tc.env})
			time.Sleep(tc.idle)
			ctx := context.Background()
			if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
				t.Fatal(err)
			}
			call := func(event string) (string, []string) {
				t.Helper()
				var logs logRec
				res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Event: []byte(event), Deadline: time.Now().Add(5 * time.Second)}, logs.sink)
				if err != nil || res.Status != sandbox.StatusSucceeded {
					t.Fatalf("invoke %s: %+v %v", event, res, err)
				}
				return string(res.Payload), logs.all()
			}
			if got, _ := call(`{}`); got != tc.want {
				t.Errorf("net loaded [at import, at the first call]: %s, want %s", got, tc.want)
			}
			if _, logs := call(`{"print":true}`); len(logs) != 1 || logs[0] != "stdout: printed" {
				t.Errorf("printing call's logs %q", logs)
			}
			if got, _ := call(`{}`); !strings.HasSuffix(got, ",true]") {
				t.Errorf("net loaded [at import, at the call] after a print: %s", got)
			}
		})
	}
}

// TestNodeWarmUpYieldsToWaitingRequest: a load that arrived while the
// bootstrap could not run (stopped here, as a busy CPU would leave it) is
// served before the idle warm-up, whose delay has passed by the time the
// bootstrap runs again.
func TestNodeWarmUpYieldsToWaitingRequest(t *testing.T) {
	t.Parallel()
	l := startLocalWith(t, sandbox.RuntimeNode, map[string]string{"index.js": netLoaded}, localOptions{direct: true})
	if err := l.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	loaded := make(chan error, 1)
	go func() { loaded <- l.client.Load(context.Background(), sandbox.LoadRequest{Handler: "index.handler"}) }()
	time.Sleep(200 * time.Millisecond) // the bootstrap waits 50 ms
	if err := l.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "e", Event: []byte(`{}`), Deadline: time.Now().Add(5 * time.Second)}, nil)
	if err != nil || res.Status != sandbox.StatusSucceeded {
		t.Fatalf("invoke: %+v %v", res, err)
	}
	if got := string(res.Payload); got != "[false,false]" {
		t.Errorf("net loaded [at import, at the first call]: %s, want [false,false]", got)
	}
}

// TestNodeStdioWritesCaptured: a function that replaces process.stdout's
// and process.stderr's write, or the streams themselves, cannot keep the
// bootstrap from writing its drain markers: its calls are answered without
// waiting out the markers' timeout.
func TestNodeStdioWritesCaptured(t *testing.T) {
	t.Parallel()
	for name, code := range map[string]string{
		"write":  `process.stdout.write = () => true; process.stderr.write = () => true;`,
		"stream": `for (const s of ["stdout", "stderr"]) Object.defineProperty(process, s, { value: { write: () => true } });`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l := startLocal(t, sandbox.RuntimeNode, map[string]string{"index.js": code + `
exports.handler = async () => { process.stdout.write("swallowed\n"); return 1; };`})
			ctx := context.Background()
			if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				start := time.Now()
				res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Deadline: time.Now().Add(5 * time.Second)}, nil)
				if err != nil || res.Status != sandbox.StatusSucceeded {
					t.Fatalf("invoke: %+v %v", res, err)
				}
				// drainWait (1 s) is what a missing marker costs.
				if d := time.Since(start); d >= drainWait/2 {
					t.Errorf("call took %v: a drain marker went missing", d)
				}
			}
		})
	}
}

// TestRelayedOutputHidden: the bootstraps take bootstrap.RelayedOutput out
// of the environment before the function's code runs.
func TestRelayedOutputHidden(t *testing.T) {
	t.Parallel()
	for rt, files := range map[string]map[string]string{
		sandbox.RuntimeNode:   {"index.js": `exports.handler = async () => process.env.VOLTRUN_RELAYED_OUTPUT ?? null;`},
		sandbox.RuntimePython: {"main.py": "import os\ndef handler(e, c):\n    return os.environ.get('VOLTRUN_RELAYED_OUTPUT')\n"},
	} {
		t.Run(rt, func(t *testing.T) {
			t.Parallel()
			l := startLocalWith(t, rt, files, localOptions{env: []string{bootstrap.RelayedOutput}})
			if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: handlerFor[rt]}); err != nil {
				t.Fatal(err)
			}
			res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "e", Deadline: time.Now().Add(5 * time.Second)}, nil)
			if err != nil || res.Status != sandbox.StatusSucceeded || string(res.Payload) != "null" {
				t.Fatalf("the function saw %s (%+v, %v)", res.Payload, res, err)
			}
		})
	}
}
