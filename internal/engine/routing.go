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

// keyLoad is the traffic of one code key.
type keyLoad struct {
	busy     int           // instances of the key serving a call, or booting for one
	booting  int           // of busy, those still booting
	firstRun time.Time     // when the code's first call began running, until one finished
	waiters  []*waiter     // calls waiting for one of them, oldest first
	callTime time.Duration // moving average of the key's calls, as the engine saw them
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

// route returns an idle instance of key, or a waiter and how long to wait
// for a busy one, or neither: the caller starts an instance, already
// counted busy, and fromZero tells whether the key had no instance at all
// (else all were busy). Idle instances of the same group under another key
// are stale (the draft changed) and are destroyed.
func (e *Engine) route(key, group string, rt core.Runtime) (inst *instance, w *waiter, budget time.Duration, fromZero bool) {
	e.mu.Lock()
	stale, images := e.switchLocked(group, key)
	l := e.traffic[key]
	if l == nil {
		l = &keyLoad{}
		e.traffic[key] = l
	}
	if list := e.warm[key]; len(list) > 0 {
		inst = list[len(list)-1]
		if len(list) == 1 {
			delete(e.warm, key)
		} else {
			e.warm[key] = list[:len(list)-1]
		}
		l.busy++
	} else if cold := e.coldStartTime(rt); !e.closed && l.busy >= e.queueAfterFor(l) && e.worthWaiting(l, len(l.waiters), cold) {
		w = &waiter{ch: make(chan *instance, 1)}
		l.waiters = append(l.waiters, w)
		budget = cold
	} else {
		fromZero = l.busy == 0
		l.busy++
	}
	e.mu.Unlock()
	e.discard(stale, images, key)
	return inst, w, budget, fromZero
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

// handOff gives inst, done with a call that took took, to the oldest
// waiter of key or back to the idle set; it destroys it instead when it has
// served its MaxCalls or the engine is closing.
func (e *Engine) handOff(key string, inst *instance, took time.Duration) {
	inst.lastUsed = time.Now()
	inst.calls++
	e.mu.Lock()
	l := e.traffic[key]
	l.callTime = ewma(l.callTime, took)
	if e.closed || (e.opts.MaxCalls > 0 && inst.calls >= e.opts.MaxCalls) {
		reason := retiredMaxCalls
		if e.closed {
			reason = retiredShutdown
		}
		e.retireLocked(key, l)
		e.mu.Unlock()
		e.destroy(inst, reason)
		return
	}
	if len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		e.mu.Unlock()
		w.ch <- inst
		return
	}
	if e.current[inst.group] != key {
		// The function changed while this call ran.
		e.retireLocked(key, l)
		e.mu.Unlock()
		e.destroy(inst, retiredChanged)
		return
	}
	l.busy--
	e.warm[key] = append(e.warm[key], inst)
	e.mu.Unlock()
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
		w.ch <- nil
		return
	}
	if l.busy--; l.busy == 0 && len(e.warm[key]) == 0 {
		delete(e.traffic, key)
	}
}

// booting counts a busy instance of key as booting (by one) or booted (by
// minus one, its call about to run).
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
