package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// pipelineCode prints at a call's start and end (the end without a
// newline), sleeps ms, exits the runtime if asked, and returns its number
// and the time it has left.
var pipelineCode = map[string]string{
	sandbox.RuntimeNode: `exports.handler = async (e, ctx) => {
  console.log("start " + e.n);
  console.error("start " + e.n);
  if (e.ms) await new Promise((r) => setTimeout(r, e.ms));
  if (e.exit) process.exit(3);
  process.stdout.write("end " + e.n);
  return { n: e.n, left: ctx.getRemainingTimeInMillis() };
};`,
	sandbox.RuntimePython: `import os, sys, time
def handler(e, c):
    print("start %d" % e["n"])
    print("start %d" % e["n"], file=sys.stderr)
    if e.get("ms"):
        time.sleep(e["ms"] / 1000)
    if e.get("exit"):
        sys.stdout.flush()
        os._exit(3)
    sys.stdout.write("end %d" % e["n"])
    return {"n": e["n"], "left": c.get_remaining_time_in_millis()}
`,
}

type pipelined struct {
	res  sandbox.Result
	err  error
	logs []string
}

// invokeAll makes the calls on l in order, each while the ones before it
// still run, and returns their outcomes once all are done.
func invokeAll(t *testing.T, l *local, events []string, limits []time.Duration) []pipelined {
	t.Helper()
	out := make([]pipelined, len(events))
	done := make(chan int, len(events))
	for i, ev := range events {
		go func() {
			var logs logRec
			out[i].res, out[i].err = l.client.Invoke(context.Background(), sandbox.Request{
				ID: fmt.Sprint(i), Event: []byte(ev), Deadline: time.Now().Add(limits[i]),
			}, logs.sink)
			out[i].logs = logs.all()
			done <- i
		}()
		time.Sleep(30 * time.Millisecond) // sent in order, the first still running
	}
	for range events {
		<-done
	}
	return out
}

// TestPipelinedCalls: calls made while another runs on the same client are
// sent at once and run one at a time in order, each with its own output,
// and each with its time limit counted from its own start; calls queued
// behind one that killed the runtime never started. Both output modes.
func TestPipelinedCalls(t *testing.T) {
	t.Parallel()
	for _, rt := range []string{sandbox.RuntimeNode, sandbox.RuntimePython} {
		for _, direct := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/direct=%v", rt, direct), func(t *testing.T) {
				t.Parallel()
				l := startLocalWith(t, rt, map[string]string{map[string]string{sandbox.RuntimeNode: "index.js", sandbox.RuntimePython: "main.py"}[rt]: pipelineCode[rt]}, localOptions{direct: direct})
				if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: handlerFor[rt]}); err != nil {
					t.Fatal(err)
				}

				// The second call's 300 ms would have run out during the
				// first if it counted from when the call was made.
				calls := invokeAll(t, l,
					[]string{`{"n":1,"ms":400}`, `{"n":2,"ms":50}`, `{"n":3}`},
					[]time.Duration{5 * time.Second, 300 * time.Millisecond, 5 * time.Second})
				for i, c := range calls {
					n := i + 1
					var got struct{ N, Left int }
					if c.err != nil || c.res.Status != sandbox.StatusSucceeded || json.Unmarshal(c.res.Payload, &got) != nil || got.N != n {
						t.Fatalf("call %d: %v %+v %+v", n, c.err, c.res, c.res.Error)
					}
					want := []string{fmt.Sprintf("stdout: start %d", n), fmt.Sprintf("stderr: start %d", n), fmt.Sprintf("stdout: end %d", n)}
					if !sameLines(c.logs, want) {
						t.Errorf("call %d logs %q, want %q", n, c.logs, want)
					}
					if n == 2 && (c.res.Duration > 250*time.Millisecond || got.Left < 150 || got.Left > 300) {
						t.Errorf("call 2 took %v and had %d ms left at its end: its limit did not start with it", c.res.Duration, got.Left)
					}
				}
				// Each call's time in the runtime is its own: the third,
				// which sleeps not at all, waited ~400 ms behind the others.
				// (Node's timers may fire a few µs early.)
				for i, slept := range []time.Duration{400 * time.Millisecond, 50 * time.Millisecond, 0} {
					if rt := calls[i].res.RunTime; rt < slept-time.Millisecond || rt > slept+200*time.Millisecond {
						t.Errorf("call %d ran %v in the runtime, want %v to %v", i+1, rt, slept, slept+200*time.Millisecond)
					}
				}

				calls = invokeAll(t, l,
					[]string{`{"n":4,"ms":300,"exit":true}`, `{"n":5}`, `{"n":6}`},
					[]time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second})
				if c := calls[0]; !c.res.Dead || !errors.Is(c.err, ErrExited) {
					t.Errorf("call 4 exited the runtime: %v %+v", c.err, c.res)
				}
				if want := []string{"stdout: start 4", "stderr: start 4"}; !sameLines(calls[0].logs, want) {
					t.Errorf("call 4 logs %q, want %q", calls[0].logs, want)
				}
				for i, c := range calls[1:] {
					if !errors.Is(c.err, sandbox.ErrNotStarted) || len(c.logs) != 0 {
						t.Errorf("call %d queued behind the exit: %v %+v logs %q, want ErrNotStarted", i+5, c.err, c.res, c.logs)
					}
				}
				if all := slices.Concat(calls[0].logs, calls[1].logs, calls[2].logs); strings.Contains(strings.Join(all, "\n"), "start 5") {
					t.Errorf("a call queued behind the exit ran: %q", all)
				}
			})
		}
	}
}

// TestPipelinedCallsKeepTheirOwnOutput: many concurrent callers on one
// client, each call printing on both streams: every call gets exactly its
// own lines, however the output of the calls queued behind it interleaves
// with the host's reads.
func TestPipelinedCallsKeepTheirOwnOutput(t *testing.T) {
	t.Parallel()
	code := map[string]string{
		sandbox.RuntimeNode: `exports.handler = async (e) => { console.log("out", e.n); console.error("err", e.n); return e.n; };`,
		sandbox.RuntimePython: `import sys
def handler(e, c):
    print("out", e["n"])
    print("err", e["n"], file=sys.stderr)
    return e["n"]
`,
	}
	for _, rt := range []string{sandbox.RuntimeNode, sandbox.RuntimePython} {
		for _, direct := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/direct=%v", rt, direct), func(t *testing.T) {
				t.Parallel()
				file := map[string]string{sandbox.RuntimeNode: "index.js", sandbox.RuntimePython: "main.py"}[rt]
				l := startLocalWith(t, rt, map[string]string{file: code[rt]}, localOptions{direct: direct})
				if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: handlerFor[rt]}); err != nil {
					t.Fatal(err)
				}
				work := make(chan int)
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						for n := range work {
							var logs logRec
							res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "x", Event: fmt.Appendf(nil, `{"n":%d}`, n), Deadline: time.Now().Add(10 * time.Second)}, logs.sink)
							if err != nil || string(res.Payload) != fmt.Sprint(n) {
								t.Errorf("call %d: %v %+v", n, err, res)
							}
							if want := []string{fmt.Sprintf("stdout: out %d", n), fmt.Sprintf("stderr: err %d", n)}; !sameLines(logs.all(), want) {
								t.Errorf("call %d logs %q, want %q", n, logs.all(), want)
							}
						}
					})
				}
				for n := range 1000 {
					work <- n
				}
				close(work)
				wg.Wait()
			})
		}
	}
}
