package engine

import (
	"context"
	"slices"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// Routing a call that finds no idle instance of its code key: start a new
// instance, or wait for one of the key's busy instances to finish.
//
// One instance per concurrent call is Lambda's model, but on a host with a
// few cores it wastes them when calls are short: sixteen connections
// calling a no-op handler would keep sixteen interpreters, each with its
// own JIT and threads, contending for two CPUs. So, as Knative's activator
// queues requests for busy pods, a call waits when the key already has at
// least QueueAfter busy instances (one while no call of the code has
// finished) and waiting pays (worthWaiting): the expected wait (the key's
// recent call time, times the calls queued ahead plus one, shared among its
// busy instances) is under half a cold start, or every instance is still
// booting, or the code's first call is running and has run for less than a
// cold start. Long calls never wait, short ones almost always do. A waiter
// re-checks every cold start's time and boots an instance of its own once
// waiting no longer pays; without that patience a burst on a small host
// would start one sandbox per call and time them all out.
//
// On a driver whose instances pipeline (sandbox.Pipeliner), a call may
// instead be sent into a busy instance at once, to run there after the
// calls ahead of it. The sandbox then goes from one call to the next
// without sleeping until the host writes the next request, which is much
// of what a short call costs it, and the calls gather in few instances,
// whose caches and JIT stay hot. A call is pipelined once the key has one
// busy instance per CPU (more only take turns on them), into the one with
// the fewest calls, when the wait that implies (the key's recent time per
// call inside the sandbox, times the calls on that instance) is under
// pipelineWait and fewer than MaxPipelined wait there; before an idle
// instance is taken. The time per call is the sandbox's own (Result.RunTime):
// the host's clock, on a busy host, also counts the time the instances
// waited for a CPU, which grows with every instance the calls spread over,
// so calls that waited for the CPU would look long and spread wider still.
// No call is queued behind one that has already run longer than
// pipelineWait: one slow call does not hold up the short ones.
// A pipelined call whose instance dies before its turn never ran, and is
// routed again (Engine.Invoke).

// pipelineWait bounds the wait a pipelined call is expected to have: calls
// much longer than the hop between host and sandbox gain little from it.
const pipelineWait = time.Millisecond

// DefaultMaxPipelined is Options.MaxPipelined's default.
const DefaultMaxPipelined = 8

// keyLoad is the traffic of one code key.
type keyLoad struct {
	busy     int           // instances of the key serving a call, or booting for one
	booting  int           // of busy, those still booting
	firstRun time.Time     // when the code's first call began running, until one finished
	waiters  []*waiter     // calls waiting for one of them, oldest first
	callTime time.Duration // moving average of the key's calls inside the sandbox (Result.RunTime)
}

// waiter is a call queued for a busy instance. Its channel receives the
// instance, or nil to start a new one (the instance it waited for died).
type waiter struct{ ch chan *instance }

// ewma folds sample into avg with weight 1/8; a zero avg takes the sample.
func ewma(avg, sample time.Duration) time.Duration {
	if avg == 0 {
		return sample
	}
	return avg + (sample-avg)/8
}

// defaultColdStart stands in for a runtime's cold start time until one has
// been measured.
const defaultColdStart = 50 * time.Millisecond

// coldStartTime is the runtime's recent cold start time. Callers hold e.mu.
func (e *Engine) coldStartTime(rt core.Runtime) time.Duration {
	if d := e.coldTime[rt]; d > 0 {
		return d
	}
	return defaultColdStart
}

// worthWaiting reports whether a call with ahead calls queued before it
// should wait for one of l's busy instances rather than boot one, given a
// cold start takes cold. Callers hold e.mu.
func (e *Engine) worthWaiting(l *keyLoad, ahead int, cold time.Duration) bool {
	switch {
	case l.busy == 0:
		return false
	case l.booting >= l.busy:
		// Every instance is booting: another boot would not come sooner.
		return true
	case l.callTime == 0:
		// The first call runs: wait while it has run for less than a cold start.
		return !l.firstRun.IsZero() && time.Since(l.firstRun) < cold
	default:
		return l.callTime*time.Duration(ahead+1)/time.Duration(l.busy) < cold/2
	}
}

// queueAfterFor is how many busy instances l needs before a call may wait:
// QueueAfter, or one while no call of the code has finished (its first
// instance is still booting, and a burst waits for it rather than boot one
// sandbox per call).
func (e *Engine) queueAfterFor(l *keyLoad) int {
	if l.callTime == 0 {
		return 1
	}
	return e.queueAfter
}

// route returns an instance of key: a busy one the call is pipelined into,
// or an idle one; or a waiter and how long to wait for a busy
// one; or neither: the caller starts an instance, already counted busy,
// and fromZero tells whether the key had no instance at all (else all were
// busy). Idle instances of the same group under another key are stale
// (the draft changed) and are destroyed.
func (e *Engine) route(key, group string, rt core.Runtime) (inst *instance, w *waiter, budget time.Duration, fromZero bool) {
	e.mu.Lock()
	stale, images := e.switchLocked(group, key)
	l := e.traffic[key]
	if l == nil {
		l = &keyLoad{}
		e.traffic[key] = l
	}
	piped := false
	if inst = e.pipelineLocked(key, l); inst != nil {
		piped = true
	} else if list := e.warm[key]; len(list) > 0 {
		inst = list[len(list)-1]
		if len(list) == 1 {
			delete(e.warm, key)
		} else {
			e.warm[key] = list[:len(list)-1]
		}
		l.busy++
		e.takeLocked(key, inst)
	} else if cold := e.coldStartTime(rt); !e.closed && l.busy >= e.queueAfterFor(l) && e.worthWaiting(l, len(l.waiters), cold) {
		w = &waiter{ch: make(chan *instance, 1)}
		l.waiters = append(l.waiters, w)
		budget = cold
	} else {
		fromZero = l.busy == 0
		l.busy++
		l.booting++ // now: a call routed next sees it, and waits for it
	}
	e.mu.Unlock()
	if piped {
		e.metrics.queued.WithLabelValues("pipelined").Inc()
	}
	e.discard(stale, images, key)
	return inst, w, budget, fromZero
}

// pipelineLocked returns the busy instance of key a call is pipelined
// into, counting the call on it, or nil. Callers hold e.mu.
func (e *Engine) pipelineLocked(key string, l *keyLoad) *instance {
	if l.busy < e.pipeAfter || l.callTime == 0 {
		return nil
	}
	var best *instance
	now := time.Now()
	for _, inst := range e.open[key] {
		if now.Sub(inst.turnAt) < e.pipeWait && (best == nil || inst.inflight < best.inflight) {
			best = inst
		}
	}
	if best == nil || l.callTime*time.Duration(best.inflight) >= e.pipeWait {
		return nil
	}
	best.inflight++
	e.reopenLocked(key, best)
	return best
}

// takeLocked gives inst, not serving any call, a call of key. Callers hold
// e.mu.
func (e *Engine) takeLocked(key string, inst *instance) {
	inst.inflight, inst.turnAt = 1, time.Now()
	e.reopenLocked(key, inst)
}

// started counts a call on inst, just started for it.
func (e *Engine) started(key string, inst *instance) {
	e.mu.Lock()
	e.takeLocked(key, inst)
	e.mu.Unlock()
}

// reopenLocked lists inst among key's instances that take pipelined calls,
// or unlists it, as it now can or cannot. Callers hold e.mu.
func (e *Engine) reopenLocked(key string, inst *instance) {
	can := inst.piping && !inst.gone && !e.closed && inst.inflight > 0 && inst.inflight <= e.maxPipelined &&
		(e.opts.MaxCalls <= 0 || inst.calls+inst.inflight < e.opts.MaxCalls) && e.current[inst.group] == key
	list := e.open[key]
	i := slices.Index(list, inst)
	switch {
	case can && i < 0:
		e.open[key] = append(list, inst)
	case !can && i >= 0:
		if list = slices.Delete(list, i, i+1); len(list) == 0 {
			delete(e.open, key)
		} else {
			e.open[key] = list
		}
	}
}

// await waits for a busy instance of key, re-checking every cold start's
// time that waiting still pays. Nil means start a new one: the call is then
// counted busy.
func (e *Engine) await(ctx context.Context, key string, rt core.Runtime, w *waiter, budget time.Duration) *instance {
	t := time.NewTimer(budget)
	defer t.Stop()
	served := "served"
	defer func() { e.metrics.queued.WithLabelValues(served).Inc() }()
	for waiting := true; waiting; {
		select {
		case inst := <-w.ch:
			if inst == nil {
				served = "started"
			}
			return inst
		case <-t.C:
			e.mu.Lock()
			cold := e.coldStartTime(rt)
			i := -1
			l := e.traffic[key]
			if l != nil {
				i = slices.Index(l.waiters, w)
			}
			// Not queued any more: handed something as the timer fired.
			waiting = i < 0 || e.worthWaiting(l, i, cold)
			e.mu.Unlock()
			t.Reset(cold)
		case <-ctx.Done():
			waiting = false
		}
	}
	e.mu.Lock()
	if l := e.traffic[key]; l != nil {
		if i := slices.Index(l.waiters, w); i >= 0 {
			l.waiters = slices.Delete(l.waiters, i, i+1)
			l.busy++
			l.booting++
			e.mu.Unlock()
			served = "started"
			return nil
		}
	}
	e.mu.Unlock()
	// Handed an instance (or told to start one) as the wait ended.
	inst := <-w.ch
	if inst == nil {
		served = "started"
	}
	return inst
}

// handOff takes back inst, done with a call that took took inside the
// sandbox. Unless calls pipelined behind it still run there, it gives inst
// to the oldest waiter of key or back to the idle set, or destroys it when
// it has served its MaxCalls, the engine is closing, or it is gone (a
// pipelined call found it dead).
func (e *Engine) handOff(key string, inst *instance, took time.Duration) {
	e.mu.Lock()
	inst.lastUsed = time.Now()
	inst.calls++
	inst.inflight--
	if inst.retired {
		// A call pipelined behind this one saw it die, and retired it.
		e.mu.Unlock()
		return
	}
	l := e.traffic[key]
	l.callTime = ewma(l.callTime, took)
	e.reopenLocked(key, inst)
	if inst.inflight > 0 {
		inst.turnAt = inst.lastUsed // the call pipelined behind it runs now
		e.mu.Unlock()
		return
	}
	reason := ""
	switch {
	case inst.gone:
		reason = retiredCrash
	case e.closed:
		reason = retiredShutdown
	case e.opts.MaxCalls > 0 && inst.calls >= e.opts.MaxCalls:
		reason = retiredMaxCalls
	case len(l.waiters) > 0:
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		e.takeLocked(key, inst)
		e.mu.Unlock()
		w.ch <- inst
		return
	case e.current[inst.group] != key:
		// The function changed while this call ran.
		reason = retiredChanged
	default:
		l.busy--
		e.warm[key] = append(e.warm[key], inst)
		e.mu.Unlock()
		return
	}
	e.retireInstanceLocked(key, l, inst)
	e.mu.Unlock()
	e.destroy(inst, reason)
}

// lose ends a call in which inst died. The first call to report it
// uncounts and destroys it; calls pipelined behind it find it dead.
func (e *Engine) lose(key string, inst *instance, reason string) { e.drop(key, inst, reason, true) }

// abandon ends a call that found inst dead before it ran, and is routed
// again. The call that died reports it (lose), unless inst died between
// calls: then the last call out uncounts and destroys it.
func (e *Engine) abandon(key string, inst *instance) { e.drop(key, inst, retiredCrash, false) }

// drop ends a call on inst, which is dead; the call saw it die (died), or
// never ran on it.
func (e *Engine) drop(key string, inst *instance, reason string, died bool) {
	e.mu.Lock()
	inst.inflight--
	inst.gone = true
	e.reopenLocked(key, inst)
	retire := !inst.retired && (died || inst.inflight == 0)
	if retire {
		e.retireInstanceLocked(key, e.traffic[key], inst)
	}
	e.mu.Unlock()
	if retire {
		e.destroy(inst, reason)
	}
}

// retireInstanceLocked marks inst gone for good and uncounts it; the
// caller destroys it. Callers hold e.mu.
func (e *Engine) retireInstanceLocked(key string, l *keyLoad, inst *instance) {
	inst.gone, inst.retired = true, true
	e.retireLocked(key, l)
}

// retire uncounts a busy instance of key that is gone (it died, or never
// started): the oldest waiter, if any, starts a new one in its place.
func (e *Engine) retire(key string) {
	e.mu.Lock()
	e.retireLocked(key, e.traffic[key])
	e.mu.Unlock()
}

func (e *Engine) retireLocked(key string, l *keyLoad) {
	if len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		l.booting++
		w.ch <- nil
		return
	}
	if l.busy--; l.busy == 0 && len(e.warm[key]) == 0 {
		delete(e.traffic, key)
	}
}

// booting counts a busy instance of key as booted (by minus one, its call
// about to run, or its start given up). Routing counts it booting when it
// tells a call to start one (route, await, retireLocked).
func (e *Engine) booting(key string, by int) {
	e.mu.Lock()
	l := e.traffic[key]
	l.booting += by
	if by < 0 && l.callTime == 0 && l.firstRun.IsZero() {
		l.firstRun = time.Now()
	}
	e.mu.Unlock()
}

// observeColdStart folds a cold start's time into its runtime's average.
func (e *Engine) observeColdStart(rt core.Runtime, took time.Duration) {
	e.mu.Lock()
	e.coldTime[rt] = ewma(e.coldTime[rt], took)
	e.mu.Unlock()
}
