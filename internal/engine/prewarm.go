package engine

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// Pre-warmed instances have their interpreter and bootstrap running and wait
// for a function: a cold call takes one, writes its code and loads it, so it
// pays a code load instead of a sandbox boot.
const (
	// maxPrewarmedPerClass caps the instances kept for one runtime and
	// memory size, whatever the demand.
	maxPrewarmedPerClass = 8
	// demandWindow is how far back cold starts count towards a class's
	// target; classes unused for classIdle are dropped.
	demandWindow = 30 * time.Second
	classIdle    = 10 * time.Minute
	// ownerTakesPerSecond bounds how fast one owner may take the pool's
	// last instance, so a burst from one tenant leaves pre-warmed
	// instances for the others.
	ownerTakesPerSecond = 2
	// maxConcurrentBoots bounds background boots (the host has few cores).
	maxConcurrentBoots = 2
)

// class is what a pre-warmed instance was created for.
type class struct {
	runtime  core.Runtime
	memoryMB int
}

type classState struct {
	idle     []sandbox.Instance
	booting  int
	starts   []time.Time // recent cold starts, for the target
	lastUsed time.Time
	seed     bool // always keep one
}

// prewarm keeps pre-warmed instances per class, sized from recent cold
// starts within a memory budget (counted in memory limits).
type prewarm struct {
	driver   sandbox.Driver
	spec     sandbox.Spec // MaxProcs and TmpSizeMB for every instance
	budgetMB int
	log      *zap.Logger
	now      func() time.Time

	mu      sync.Mutex
	classes map[class]*classState
	owners  map[string]*ownerBucket
	wake    chan struct{}
	closed  bool
	boots   sync.WaitGroup
}

type ownerBucket struct {
	tokens float64
	at     time.Time
}

func newPrewarm(d sandbox.Driver, spec sandbox.Spec, budgetMB int, seeds []class, log *zap.Logger) *prewarm {
	p := &prewarm{
		driver: d, spec: spec, budgetMB: budgetMB, log: log, now: time.Now,
		classes: map[class]*classState{}, owners: map[string]*ownerBucket{}, wake: make(chan struct{}, 1),
	}
	for _, c := range seeds {
		p.classes[c] = &classState{seed: true, lastUsed: p.now()}
	}
	return p
}

// take returns a pre-warmed instance of the class for owner, or nil when
// none is ready or the owner is drawing faster than its share. Either way
// the cold start counts as demand for the class.
func (p *prewarm) take(c class, owner string) sandbox.Instance {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	st := p.classes[c]
	if st == nil {
		st = &classState{}
		p.classes[c] = st
	}
	st.starts = append(st.starts, now)
	st.lastUsed = now
	p.signal()
	// An owner past its rate may still take an instance while that leaves
	// one for the others: fairness binds only when the pool runs low.
	if len(st.idle) == 0 || (!p.allow(owner, now) && len(st.idle) < 2) {
		return nil
	}
	inst := st.idle[len(st.idle)-1]
	st.idle = st.idle[:len(st.idle)-1]
	return inst
}

// allow spends one of owner's tokens (a bucket of ownerTakesPerSecond).
func (p *prewarm) allow(owner string, now time.Time) bool {
	b := p.owners[owner]
	if b == nil {
		b = &ownerBucket{tokens: ownerTakesPerSecond, at: now}
		p.owners[owner] = b
	}
	b.tokens = min(ownerTakesPerSecond, b.tokens+now.Sub(b.at).Seconds()*ownerTakesPerSecond)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (p *prewarm) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// targets decides how many instances each class should hold: seeds one,
// plus one for every few recent cold starts, capped per class and scaled
// into the memory budget. Call with p.mu held.
func (p *prewarm) targets(now time.Time) map[class]int {
	out := map[class]int{}
	total := 0
	for c, st := range p.classes {
		cut := 0
		for cut < len(st.starts) && now.Sub(st.starts[cut]) > demandWindow {
			cut++
		}
		st.starts = st.starts[cut:]
		if !st.seed && len(st.idle) == 0 && st.booting == 0 && now.Sub(st.lastUsed) > classIdle {
			delete(p.classes, c)
			continue
		}
		n := (len(st.starts) + 2) / 3
		if st.seed {
			n = max(n, 1)
		}
		n = min(n, maxPrewarmedPerClass)
		out[c] = n
		total += n * c.memoryMB
	}
	for total > p.budgetMB {
		// Shed from the class whose instances cost the most.
		var worst class
		for c, n := range out {
			if n > 0 && c.memoryMB > worst.memoryMB {
				worst = c
			}
		}
		if worst.memoryMB == 0 {
			break
		}
		out[worst]--
		total -= worst.memoryMB
	}
	return out
}

// run keeps every class at its target until ctx ends.
func (p *prewarm) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		p.refill(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-p.wake:
		}
	}
}

// refill starts boots for classes below target and destroys surplus.
func (p *prewarm) refill(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	var surplus []sandbox.Instance
	booting := 0
	for _, st := range p.classes {
		booting += st.booting
	}
	for c, want := range p.targets(p.now()) {
		st := p.classes[c]
		for len(st.idle) > want {
			surplus = append(surplus, st.idle[0])
			st.idle = st.idle[1:]
		}
		for len(st.idle)+st.booting < want && booting < maxConcurrentBoots {
			st.booting++
			booting++
			p.boots.Go(func() { p.boot(ctx, c) })
		}
	}
	p.mu.Unlock()
	for _, inst := range surplus {
		destroyQuietly(inst, p.log)
	}
}

func (p *prewarm) boot(ctx context.Context, c class) {
	spec := p.spec
	spec.Runtime, spec.MemoryMB = string(c.runtime), c.memoryMB
	spec.Labels = map[string]string{"prewarmed": "true"}
	spec.Standby = true
	inst, err := p.driver.Create(ctx, spec)
	p.mu.Lock()
	st := p.classes[c]
	if st == nil {
		st = &classState{lastUsed: p.now()}
		p.classes[c] = st
	}
	st.booting--
	keep := err == nil && !p.closed
	if keep {
		st.idle = append(st.idle, inst)
	}
	p.mu.Unlock()
	switch {
	case err != nil && ctx.Err() == nil:
		p.log.Warn("pre-warm a sandbox", zap.String("runtime", string(c.runtime)), zap.Error(err))
	case err == nil && !keep:
		destroyQuietly(inst, p.log)
	case err == nil:
		p.signal()
	}
}

// idleCount reports the pre-warmed instances waiting, by runtime.
func (p *prewarm) idleCount() map[core.Runtime]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[core.Runtime]int{}
	for c, st := range p.classes {
		out[c.runtime] += len(st.idle)
	}
	return out
}

// close destroys every waiting instance after the boots in flight end.
func (p *prewarm) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.boots.Wait()
	p.mu.Lock()
	var all []sandbox.Instance
	for _, st := range p.classes {
		all = append(all, st.idle...)
		st.idle = nil
	}
	p.mu.Unlock()
	for _, inst := range all {
		destroyQuietly(inst, p.log)
	}
}

func destroyQuietly(inst sandbox.Instance, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Destroy(ctx); err != nil {
		log.Warn("destroy sandbox", zap.String("instance", inst.ID()), zap.Error(err))
	}
}
