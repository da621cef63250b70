package engine

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// runningPool starts a pre-warm pool on the real driver.
func runningPool(t *testing.T, budgetMB int, seeds ...class) *prewarm {
	t.Helper()
	d := newLinuxns(t)
	if err := d.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the linuxns sandbox cannot run here: %v", err)
		}
		t.Skipf("the linuxns sandbox cannot run here: %v", err)
	}
	p := newPrewarm(d, sandbox.Spec{}, budgetMB, seeds, zap.NewNop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.run(ctx); close(done) }()
	t.Cleanup(func() { p.close(); cancel(); <-done })
	return p
}

func waitIdle(t *testing.T, p *prewarm, c class, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		p.mu.Lock()
		got := 0
		if st := p.classes[c]; st != nil {
			got = len(st.idle)
		}
		p.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d pre-warmed %v, want %d", got, c, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var node128 = class{core.RuntimeNode, 128}

// TestPrewarmRefillsAndShares: the pool keeps a seed instance, grows with
// demand, refills after takes, and one owner's burst leaves instances for
// another owner.
func TestPrewarmRefillsAndShares(t *testing.T) {
	p := runningPool(t, 4096, node128)
	waitIdle(t, p, node128, 1)
	inst := p.take(node128, "alice")
	if inst == nil {
		t.Fatal("seeded pool gave nothing")
	}
	destroyQuietly(inst, zap.NewNop())
	waitIdle(t, p, node128, 1) // refilled

	// Demand raises the target: 12 recent cold starts → 4 instances.
	p.mu.Lock()
	for range 12 {
		p.classes[node128].starts = append(p.classes[node128].starts, time.Now())
	}
	p.mu.Unlock()
	p.signal()
	waitIdle(t, p, node128, 4)

	// Hold refills (white box) so the burst meets a fixed set: at least
	// the 4 waited for (a fifth may have booted since).
	p.mu.Lock()
	p.closed = true
	ready := len(p.classes[node128].idle)
	p.mu.Unlock()
	var taken []sandbox.Instance
	for range 10 { // mallory's burst
		if inst := p.take(node128, "mallory"); inst != nil {
			taken = append(taken, inst)
		}
	}
	bob := p.take(node128, "bob")
	p.mu.Lock()
	p.closed = false
	p.mu.Unlock()
	for _, inst := range append(taken, bob) {
		if inst != nil {
			destroyQuietly(inst, zap.NewNop())
		}
	}
	if len(taken) == 0 || len(taken) >= ready {
		t.Fatalf("a burst from one owner took %d of %d pre-warmed instances; want some, not all", len(taken), ready)
	}
	if bob == nil {
		t.Fatal("another owner found the pool drained by one owner's burst")
	}
}

// TestPrewarmBudget: targets never exceed the memory budget.
func TestPrewarmBudget(t *testing.T) {
	p := newPrewarm(nil, sandbox.Spec{}, 512, []class{node128, {core.RuntimePython, 256}}, zap.NewNop())
	now := time.Now()
	for c := range p.classes {
		for range 30 {
			p.classes[c].starts = append(p.classes[c].starts, now)
		}
	}
	total := 0
	for c, n := range p.targets(now) {
		if n > maxPrewarmedPerClass {
			t.Fatalf("%v target %d over the per-class cap", c, n)
		}
		total += n * c.memoryMB
	}
	if total > 512 || total < 384 {
		t.Fatalf("targets use %d MiB of a 512 MiB budget", total)
	}
}

// TestPrewarmedCall: a cold call takes a pre-warmed instance and runs.
func TestPrewarmedCall(t *testing.T) {
	e, fn := realEngineWith(t, time.Hour, 1024)
	waitIdle(t, e.pool, node128, 1)
	out := call(t, e, fn)
	if !out.Execution.ColdStart || string(out.Result) != `"one"` {
		t.Fatalf("outcome %+v %s", out.Execution, out.Result)
	}
	p := e.pool
	p.mu.Lock()
	starts := len(p.classes[node128].starts)
	p.mu.Unlock()
	if starts != 1 {
		t.Fatalf("%d cold starts counted, want 1", starts)
	}
}
