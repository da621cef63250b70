package engine

import (
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// burst makes n concurrent calls of fn and returns how many were cold. The
// calls start together once every goroutine exists: started one by one, a
// short call could finish before the next one routes, and nothing would
// be concurrent.
func burst(t *testing.T, e *Engine, fn *core.Function, n int) int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	cold := 0
	for range n {
		wg.Go(func() {
			<-start
			out, err := e.Invoke(t.Context(), Call{Function: fn, Version: "$LATEST", Event: []byte(`{}`), Trigger: "api"})
			if err != nil || out.Execution.Status != core.ExecSucceeded {
				t.Errorf("call: %v %+v", err, out)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if out.Execution.ColdStart {
				cold++
			}
		})
	}
	close(start)
	wg.Wait()
	return cold
}

// withHandler is fn with index.js replaced by src.
func withHandler(t *testing.T, fn *core.Function, src string) *core.Function {
	t.Helper()
	b, err := bundle.FromFiles(map[string][]byte{"index.js": []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	f := *fn
	f.Code, f.CodeSHA256 = b.Archive, b.SHA256
	return &f
}

// warmWithColdTime calls fn cold then warm, so its call time is known, and
// sets the runtime's cold start estimate to cold.
func warmWithColdTime(t *testing.T, e *Engine, fn *core.Function, cold time.Duration) {
	t.Helper()
	call(t, e, fn)
	call(t, e, fn)
	e.mu.Lock()
	e.coldTime[fn.Runtime] = cold
	e.mu.Unlock()
}

// TestShortCallsQueueForBusyInstances: a burst of short calls waits for the
// busy warm instance instead of starting one interpreter per call.
func TestShortCallsQueueForBusyInstances(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.queueAfter = 1
	e.maxPipelined = 0 // the queue in the engine, not in the instance
	// Short against the cold start below, long enough that the calls of
	// the burst overlap on a loaded host.
	fn = withHandler(t, fn, `exports.handler = async () => { await new Promise((r) => setTimeout(r, 20)); return 1; };`)
	warmWithColdTime(t, e, fn, 10*time.Second) // a wait never gives up in this test
	if cold := burst(t, e, fn, 8); cold != 0 {
		t.Fatalf("%d of 8 short calls started an instance; want all served by the warm one", cold)
	}
	if e.Idle() != 1 {
		t.Fatalf("%d idle instances after the burst, want 1", e.Idle())
	}
	var m dto.Metric
	if err := e.metrics.queued.WithLabelValues("served").Write(&m); err != nil || m.GetCounter().GetValue() == 0 {
		t.Fatalf("no call was counted as queued (%v)", err)
	}
}

// TestLongCallsStartInstances: calls much longer than a cold start do not
// wait for each other: each gets an instance of its own, counted busy while
// it starts and serves, and its cold start counted as a scale-out.
func TestLongCallsStartInstances(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.queueAfter = 1
	slow := withHandler(t, fn, `exports.handler = async () => { await new Promise((r) => setTimeout(r, 400)); return 1; };`)
	warmWithColdTime(t, e, slow, 50*time.Millisecond)
	colds := make(chan int)
	go func() { colds <- burst(t, e, slow, 4) }()
	maxBusy := 0
	for waiting := true; waiting; {
		select {
		case cold := <-colds:
			if cold != 3 {
				t.Fatalf("%d of 4 concurrent 400 ms calls started an instance; want 3 (one was warm)", cold)
			}
			waiting = false
		case <-time.After(5 * time.Millisecond):
			maxBusy = max(maxBusy, e.Busy())
		}
	}
	if maxBusy != 4 || e.Busy() != 0 || e.Idle() != 4 {
		t.Fatalf("busy instances peaked at %d and ended at %d with %d idle; want 4, 0 and 4", maxBusy, e.Busy(), e.Idle())
	}
	if n := counted(t, e.metrics.coldStarts, string(fn.Runtime), startBoot, coldScaleOut); n != 3 {
		t.Fatalf("%v cold starts counted as scale-outs, want 3", n)
	}
}

// occupy starts a call of f with event on its warm instance and returns
// once the call holds it; the channel receives the call's outcome.
func occupy(t *testing.T, e *Engine, f *core.Function, event string) <-chan *Outcome {
	t.Helper()
	done := make(chan *Outcome, 1)
	go func() {
		out, err := e.Invoke(t.Context(), Call{Function: f, Version: "$LATEST", Event: []byte(event), Trigger: "api"})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	deadline := time.Now().Add(5 * time.Second)
	for e.Idle() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the %s call never took the warm instance", event)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return done
}

// TestWaiterStartsWhenItsInstanceDies: a call queued behind an instance
// that crashes starts a new one instead of waiting out its budget.
func TestWaiterStartsWhenItsInstanceDies(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.queueAfter = 1
	e.maxPipelined = 0 // see TestPipelinedCallsRunElsewhereWhenTheInstanceDies
	f := withHandler(t, fn, `exports.handler = async (ev) => { if (ev.crash) { await new Promise((r) => setTimeout(r, 200)); process.exit(3); } return 1; };`)
	warmWithColdTime(t, e, f, 10*time.Second)
	crashed := occupy(t, e, f, `{"crash":true}`)
	began := time.Now()
	out := call(t, e, f)
	if !out.Execution.ColdStart {
		t.Fatal("the queued call was served by the crashed instance")
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("the queued call took %v: it waited out its budget", took)
	}
	if c := <-crashed; c == nil || c.Execution.Status == core.ExecSucceeded {
		t.Fatalf("the crashing call did not fail: %+v", c)
	}
	if n := counted(t, e.metrics.retired, string(sandbox.ReasonCrash)); n != 1 {
		t.Errorf("%v instances counted as retired by a crash, want 1", n)
	}
}

// TestBurstWaitsForFirstInstance: concurrent first calls to new code boot
// one sandbox and wait for it, rather than one sandbox per call.
func TestBurstWaitsForFirstInstance(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.mu.Lock()
	e.coldTime[fn.Runtime] = time.Second // a boot may take longer on a loaded host; the first call will not
	e.mu.Unlock()
	if cold := burst(t, e, fn, 6); cold != 1 {
		t.Fatalf("6 concurrent first calls booted %d instances; want 1", cold)
	}
}
