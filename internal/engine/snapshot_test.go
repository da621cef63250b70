package engine

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
)

// slowInit is a Python function whose init takes initTime.
const (
	slowInit = `import time
time.sleep(1.5)
STARTED = time.time()
def handler(event, ctx):
    return {"started": STARTED}
`
	initTime = 1500 * time.Millisecond
)

// TestSlowLoadSnapshot: on gVisor, a function whose init is slow is
// snapshotted after its first load, and later cold starts restore that
// image instead of running the init again.
func TestSlowLoadSnapshot(t *testing.T) {
	init, err := sandboxtest.BuildInit()
	if err != nil {
		t.Fatal(err)
	}
	d := gvisor.New(gvisor.Options{StateDir: t.TempDir(), Init: init, Logger: zap.NewNop()})
	if err := d.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true installs runsc, but the gvisor sandbox cannot run here: %v", err)
		}
		t.Skipf("the gvisor sandbox cannot run here: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	st, fn := fixture(t)
	b, err := bundle.FromFiles(map[string][]byte{"main.py": []byte(slowInit)})
	if err != nil {
		t.Fatal(err)
	}
	fn.Runtime, fn.Handler, fn.TimeoutMS = core.RuntimePython, "main.handler", 10000
	fn.Code, fn.CodeSHA256 = b.Archive, b.SHA256
	rec := NewRecorder(st, zap.NewNop(), 64, 10*time.Millisecond)
	reg := prometheus.NewRegistry()
	// MaxCalls 1: every call needs a new instance.
	e := New(Options{
		Driver: d, Recorder: rec, Log: zap.NewNop(), IdleTTL: time.Hour, MaxCalls: 1,
		SnapshotAfter: time.Second, Registerer: reg,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	go rec.Run(ctx)
	t.Cleanup(func() { e.Close(); cancel(); <-done; <-rec.Done() })

	invoke := func() (started float64, took time.Duration) {
		t.Helper()
		begin := time.Now()
		out := call(t, e, fn)
		took = time.Since(begin)
		if !out.Execution.ColdStart {
			t.Fatal("a call reused an instance despite MaxCalls 1")
		}
		var r struct{ Started float64 }
		if err := json.Unmarshal(out.Result, &r); err != nil {
			t.Fatal(err)
		}
		return r.Started, took
	}
	_, took := invoke()
	if took < initTime {
		t.Fatalf("the first call took %v, less than the init's %v", took, initTime)
	}
	t.Logf("first call (boot and load): %v", took)
	var restored []float64
	for deadline := time.Now().Add(time.Minute); len(restored) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("no call restored a snapshot within a minute; cold starts: %v", coldStartCounts(t, reg))
		}
		before := coldStartCounts(t, reg)["snapshot"]
		started, took := invoke()
		if coldStartCounts(t, reg)["snapshot"] == before {
			time.Sleep(100 * time.Millisecond) // the image is still being built
			continue
		}
		if took >= initTime {
			t.Errorf("a call restored from the snapshot took %v, no less than the init's %v", took, initTime)
		}
		t.Logf("call restored from the snapshot: %v", took)
		restored = append(restored, started)
	}
	if restored[0] != restored[1] {
		t.Errorf("restored instances report init times %v and %v: the init ran again", restored[0], restored[1])
	}
}

// coldStartCounts reads voltrun_cold_starts_total by "how".
func coldStartCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "voltrun_cold_starts_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "how" {
					counts[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	return counts
}
