package engine

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) {
	if gvisor.Reexec() {
		return
	}
	os.Exit(m.Run())
}

// newLinuxns returns a linuxns driver with the sandbox init the server
// embeds.
func newLinuxns(t testing.TB) *linuxns.Driver {
	t.Helper()
	nsInit, err := sandboxtest.BuildNSInit()
	if err != nil {
		t.Fatal(err)
	}
	return linuxns.New(linuxns.Options{StateDir: t.TempDir(), NSInit: nsInit})
}

// realEngine returns an engine on the linuxns driver, recording into a real
// SQLite store, and a function whose handler returns its env's TAG.
func realEngine(t *testing.T, ttl time.Duration) (*Engine, *core.Function) {
	t.Helper()
	return realEngineWith(t, ttl, 0)
}

// realEngineWith is realEngine with a pre-warm pool of poolMB.
func realEngineWith(t *testing.T, ttl time.Duration, poolMB int) (*Engine, *core.Function) {
	t.Helper()
	d := newLinuxns(t)
	return engineOn(t, d, Options{IdleTTL: ttl, PoolMemoryMB: poolMB})
}

// engineOn returns a running engine on d, a linuxns driver or one wrapping
// it, with opts (its Driver, Recorder and Log set here), recording into a
// real SQLite store, and a function whose handler returns its env's TAG.
func engineOn(t *testing.T, d sandbox.Driver, opts Options) (*Engine, *core.Function) {
	t.Helper()
	if err := d.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the linuxns sandbox cannot run here: %v", err)
		}
		t.Skipf("the linuxns sandbox cannot run here: %v", err)
	}
	st, fn := fixture(t)
	b, err := bundle.FromFiles(map[string][]byte{"index.js": []byte(`exports.handler = async () => process.env.TAG;`)})
	if err != nil {
		t.Fatal(err)
	}
	fn.Code, fn.CodeSHA256, fn.Env = b.Archive, b.SHA256, map[string]string{"TAG": "one"}
	rec := NewRecorder(st, zap.NewNop(), 64, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	opts.Driver, opts.Recorder, opts.Log = d, rec, zap.NewNop()
	e := New(opts)
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	go rec.Run(ctx)
	t.Cleanup(func() { e.Close(); cancel(); <-done; <-rec.Done() })
	return e, fn
}

func call(t *testing.T, e *Engine, fn *core.Function) *Outcome {
	t.Helper()
	out, err := e.Invoke(t.Context(), Call{Function: fn, Version: "$LATEST", Event: []byte(`{}`), Trigger: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Execution.Status != core.ExecSucceeded {
		t.Fatalf("call failed: %+v", out.Execution)
	}
	return out
}

// counted reads one series of a counter vector.
func counted(t *testing.T, vec *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	var m dto.Metric
	if err := vec.WithLabelValues(labels...).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestScaleToZero: an idle instance is destroyed after the TTL and the next
// call starts a new one; both cold starts and the reaping are counted.
func TestScaleToZero(t *testing.T) {
	e, fn := realEngine(t, 300*time.Millisecond)
	if !call(t, e, fn).Execution.ColdStart || call(t, e, fn).Execution.ColdStart {
		t.Fatal("want cold then warm")
	}
	if e.Idle() != 1 {
		t.Fatalf("%d idle instances, want 1", e.Idle())
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.Idle() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("idle instance never reaped")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !call(t, e, fn).Execution.ColdStart {
		t.Fatal("call after scale to zero was warm")
	}
	if n := counted(t, e.metrics.retired, retiredIdle); n != 1 {
		t.Errorf("%v instances counted as retired idle, want 1", n)
	}
	if n := counted(t, e.metrics.coldStarts, string(fn.Runtime), startBoot, coldFromZero); n != 2 {
		t.Errorf("%v cold starts counted as booted from zero, want 2", n)
	}
}

// TestEditRetiresWarm: after the function changes, the next call runs the
// new configuration in a new instance and the stale one is destroyed.
func TestEditRetiresWarm(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	if got := string(call(t, e, fn).Result); got != `"one"` {
		t.Fatalf("result %s", got)
	}
	edited := *fn
	edited.Env = map[string]string{"TAG": "two"}
	out := call(t, e, &edited)
	if got := string(out.Result); got != `"two"` || !out.Execution.ColdStart {
		t.Fatalf("edited function ran %s (cold %v)", got, out.Execution.ColdStart)
	}
	e.teardown.Wait()
	if e.Idle() != 1 {
		t.Fatalf("%d idle instances: the stale one was kept", e.Idle())
	}
	if n := counted(t, e.metrics.retired, retiredChanged); n != 1 {
		t.Errorf("%v instances counted as replaced, want 1", n)
	}
}

// TestRecycle: an instance is replaced after MaxCalls calls, and an idle one
// that grew past its memory threshold is destroyed by the reaper.
func TestRecycle(t *testing.T) {
	e, fn := realEngine(t, time.Hour)
	e.opts.MaxCalls = 3
	var colds []bool
	for range 4 {
		colds = append(colds, call(t, e, fn).Execution.ColdStart)
	}
	if fmt.Sprint(colds) != "[true false false true]" {
		t.Fatalf("cold starts %v: want a new instance after 3 calls", colds)
	}
	if n := counted(t, e.metrics.retired, retiredMaxCalls); n != 1 {
		t.Errorf("%v instances counted as retired after max calls, want 1", n)
	}

	e.opts.MaxCalls = 0
	b, err := bundle.FromFiles(map[string][]byte{"index.js": []byte(
		`const keep = []; exports.handler = async () => { keep.push(Buffer.alloc(48 << 20, 1)); return keep.length; };`)})
	if err != nil {
		t.Fatal(err)
	}
	leaky := *fn
	leaky.Code, leaky.CodeSHA256 = b.Archive, b.SHA256
	// Filling 48 MiB on a cold instance can outlast the fixture's 1 s
	// timeout on a loaded machine; this test is about memory, not time.
	leaky.TimeoutMS = 10000
	call(t, e, &leaky)
	e.opts.MaxMemoryFraction = 0.9
	e.recycleGrown()
	if e.Idle() != 1 {
		t.Fatalf("%d idle: a 48 MiB function under a 128 MiB limit is not over 90%%", e.Idle())
	}
	e.opts.MaxMemoryFraction = 0.3
	e.recycleGrown()
	if e.Idle() != 0 {
		t.Fatal("an instance past its memory threshold was kept")
	}
	if n := counted(t, e.metrics.retired, retiredMemory); n != 1 {
		t.Errorf("%v instances counted as retired for memory, want 1", n)
	}
}
