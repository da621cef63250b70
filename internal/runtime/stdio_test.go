package runtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// netLoaded answers whether Node's net module (what process.stdout and
// process.stderr load on a pipe) is loaded, and prints first when asked.
const netLoaded = `exports.handler = async (e) => {
  if (e.print) console.log("printed");
  return process.moduleLoadList.includes("NativeModule net");
};`

// TestNodeStdioCreatedOnUse: the Node bootstrap leaves stdout and stderr
// (and the net module behind them) to be created by the first print, unless
// the instance waits idle first, as a pre-warmed one does; either way the
// output arrives.
func TestNodeStdioCreatedOnUse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		idle    time.Duration
		wantNet bool
	}{
		{"loaded at once", 0, false},
		{"idle first", time.Second, true}, // the bootstrap waits 50 ms
	} {
		for _, direct := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/direct=%v", tc.name, direct), func(t *testing.T) {
				t.Parallel()
				l := startLocalWith(t, sandbox.RuntimeNode, map[string]string{"index.js": netLoaded}, localOptions{direct: direct})
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
				// Without direct output the drain markers need both
				// streams, from the load on.
				want := tc.wantNet || !direct
				if got, _ := call(`{}`); got != fmt.Sprint(want) {
					t.Errorf("net loaded before any print: %s, want %v", got, want)
				}
				got, logs := call(`{"print":true}`)
				if got != "true" || len(logs) != 1 || logs[0] != "stdout: printed" {
					t.Errorf("printing call: net loaded %s, logs %q", got, logs)
				}
			})
		}
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
