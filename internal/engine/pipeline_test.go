package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// TestShortCallsArePipelined: once the code has its busy instance, a burst
// of short calls is pipelined into it, and no call starts an instance.
func TestShortCallsArePipelined(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.pipeAfter, e.pipeWait = 1, time.Hour // on a loaded host a call may take long
	// Long enough that the calls of the burst overlap on a loaded host.
	fn = withHandler(t, fn, `exports.handler = async () => { await new Promise((r) => setTimeout(r, 20)); return 1; };`)
	warmWithColdTime(t, e, fn, 10*time.Second)
	if cold := burst(t, e, fn, 8); cold != 0 {
		t.Fatalf("%d of 8 short calls started an instance; want all served by the warm one", cold)
	}
	if n := counted(t, e.metrics.queued, "pipelined"); n != 7 {
		t.Fatalf("%v calls counted as pipelined, want all 7 after the first", n)
	}
	if e.Idle() != 1 || e.Busy() != 0 {
		t.Fatalf("%d idle and %d busy instances after the burst, want 1 and 0", e.Idle(), e.Busy())
	}
	e.mu.Lock()
	open := len(e.open)
	e.mu.Unlock()
	if open != 0 {
		t.Fatalf("%d code keys still list instances open to pipelining with nothing running", open)
	}
}

// TestPipelinedCallsRunElsewhereWhenTheInstanceDies: calls pipelined
// behind one that crashes its instance never ran there; they run on
// another instance and succeed, each with its own event.
func TestPipelinedCallsRunElsewhereWhenTheInstanceDies(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.pipeAfter, e.pipeWait = 1, time.Hour
	f := withHandler(t, fn, `exports.handler = async (ev) => { if (ev.crash) { await new Promise((r) => setTimeout(r, 300)); process.exit(3); } return ev.n === undefined ? 0 : ev.n; };`)
	warmWithColdTime(t, e, f, 10*time.Second)
	crashed := occupy(t, e, f, `{"crash":true}`)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			out, err := e.Invoke(t.Context(), Call{Function: f, Version: "$LATEST", Event: fmt.Appendf(nil, `{"n":%d}`, i+1), Trigger: "api"})
			if err != nil || out.Execution.Status != core.ExecSucceeded || string(out.Result) != fmt.Sprint(i+1) {
				t.Errorf("call %d queued behind the crash: %v %+v %s", i+1, err, out, out.Result)
			}
		})
	}
	wg.Wait()
	if n := counted(t, e.metrics.queued, "pipelined"); n < 4 {
		t.Errorf("%v calls counted as pipelined, want the 4 behind the crash", n)
	}
	if c := <-crashed; c == nil || c.Execution.Status == core.ExecSucceeded {
		t.Fatalf("the crashing call did not fail: %+v", c)
	}
	if n := counted(t, e.metrics.retired, string(sandbox.ReasonCrash)); n != 1 {
		t.Errorf("%v instances counted as retired by a crash, want 1", n)
	}
	if e.Busy() != 0 {
		t.Errorf("%d instances still counted busy", e.Busy())
	}
}

// countedInstance is a sandbox.Instance that only counts its destroys.
type countedInstance struct {
	sandbox.Instance
	destroys *int
}

func (c countedInstance) ID() string { return "counted" }
func (c countedInstance) Destroy(context.Context) error {
	*c.destroys++
	return nil
}

// TestPipelinedCallsEndInAnyOrder: a call that answered and the call
// pipelined behind it that then saw the instance die may reach the engine
// in either order; either way the instance is uncounted and destroyed
// once, and nothing is left idle or open to pipelining.
func TestPipelinedCallsEndInAnyOrder(t *testing.T) {
	for _, servedFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("servedFirst=%v", servedFirst), func(t *testing.T) {
			e := New(Options{Log: zap.NewNop()})
			destroys := 0
			inst := &instance{sb: countedInstance{destroys: &destroys}, group: "g", piping: true}
			e.mu.Lock()
			e.current["g"] = "k"
			e.traffic["k"] = &keyLoad{busy: 1}
			e.takeLocked("k", inst)
			inst.inflight++ // the pipelined call
			e.mu.Unlock()
			if servedFirst {
				e.handOff("k", inst, time.Millisecond)
				e.lose("k", inst, retiredCrash)
			} else {
				e.lose("k", inst, retiredCrash)
				e.handOff("k", inst, time.Millisecond)
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if destroys != 1 || e.traffic["k"] != nil || len(e.warm) != 0 || len(e.open) != 0 || inst.inflight != 0 {
				t.Fatalf("destroyed %d times; traffic %+v, %d idle, %d open, %d in flight", destroys, e.traffic["k"], len(e.warm), len(e.open), inst.inflight)
			}
		})
	}
}

// TestNoPipeliningBehindASlowCall: a short call is not queued behind a
// call that has already run longer than the expected wait, however short
// the code's calls usually are: it gets an instance of its own and is done
// first.
func TestNoPipeliningBehindASlowCall(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.pipeAfter, e.pipeWait = 1, 50*time.Millisecond
	f := withHandler(t, fn, `exports.handler = async (ev) => { if (ev.ms) await new Promise((r) => setTimeout(r, ev.ms)); return 1; };`)
	warmWithColdTime(t, e, f, 10*time.Second)
	slow := occupy(t, e, f, `{"ms":900}`) // under the function's 1 s limit
	time.Sleep(200 * time.Millisecond)    // past the expected wait
	out := call(t, e, f)
	select {
	case <-slow:
		t.Fatalf("the short call (cold: %v) ended after the slow one: it waited behind it", out.Execution.ColdStart)
	default:
	}
	if !out.Execution.ColdStart {
		t.Fatal("the short call was served by the slow call's instance")
	}
	if s := <-slow; s == nil || s.Execution.Status != core.ExecSucceeded {
		t.Fatalf("slow call: %+v", s)
	}
	if n := counted(t, e.metrics.queued, "pipelined"); n != 0 {
		t.Fatalf("%v calls pipelined behind the slow call", n)
	}
}
