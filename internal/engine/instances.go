package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// instance is a sandbox loaded with one function version's code.
type instance struct {
	sb       sandbox.Instance
	group    string // function id and version: see groupOf
	memoryMB int
	piping   bool // sb is a sandbox.Pipeliner that pipelines

	// Guarded by Engine.mu.
	calls    int  // calls served
	inflight int  // calls routed to it and not yet done
	gone     bool // it died or was retired: route nothing more to it
	retired  bool // it is uncounted and destroyed (see drop)
	lastUsed time.Time
	turnAt   time.Time // when its running call began, about: pipelining looks at it
}

func (e *Engine) newInstance(sb sandbox.Instance, fn *core.Function, version string) *instance {
	p, ok := sb.(sandbox.Pipeliner)
	return &instance{sb: sb, group: groupOf(fn, version), memoryMB: fn.MemoryMB, piping: ok && p.Pipelines() && e.maxPipelined > 0}
}

// groupOf names what an instance serves, whatever its configuration. A
// draft edit leaves idle instances of the same group stale; other versions
// of the function are other groups, so a canary split keeps both warm.
func groupOf(fn *core.Function, version string) string { return fn.ID + "\x00" + version }

// codeKey identifies what an instance was loaded with: the same key means
// the instance can serve the call. Any change of code or configuration
// gives a new key, so edited functions never run stale instances. Every
// part is length-prefixed, so no two configurations hash the same input;
// the key is worked out on every call, so it is built in one buffer.
func codeKey(fn *core.Function, version string) string {
	var arr [512]byte
	buf := arr[:0]
	for _, s := range [...]string{fn.ID, version, fn.CodeSHA256, string(fn.Runtime), fn.Handler} {
		buf = appendPart(buf, s)
	}
	buf = strconv.AppendInt(buf, int64(fn.MemoryMB), 10)
	buf = append(buf, ',')
	buf = strconv.AppendInt(buf, int64(fn.TimeoutMS), 10)
	buf = append(buf, ',')
	if len(fn.Env) > 0 {
		for _, k := range slices.Sorted(maps.Keys(fn.Env)) {
			buf = appendPart(appendPart(buf, k), fn.Env[k])
		}
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// appendPart appends s to b after its length.
func appendPart(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	return append(append(b, ':'), s...)
}

// destroy tears inst down and counts it under reason (see metrics.go).
func (e *Engine) destroy(inst *instance, reason string) {
	e.metrics.retired.WithLabelValues(reason).Inc()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.sb.Destroy(ctx); err != nil {
		e.log.Warn("destroy sandbox", zap.String("instance", inst.sb.ID()), zap.Error(err))
	}
}

// switchLocked makes key the current code key of group. It returns the idle
// instances of the key it replaces, stale now, and the group itself when it
// may have an image made for another key.
func (e *Engine) switchLocked(group, key string) (stale []*instance, images []string) {
	cur, ok := e.current[group]
	if ok && cur == key {
		return nil, nil
	}
	stale = e.warm[cur]
	delete(e.warm, cur)
	e.current[group] = key
	if e.imaged[group] {
		images = []string{group}
	}
	return stale, images
}

// discard destroys stale instances and drops the snapshot images of groups
// (but keep's), in the background: tearing a sandbox down and deleting an
// image take milliseconds, and a call may be waiting.
func (e *Engine) discard(stale []*instance, groups []string, keep string) {
	if len(stale) == 0 && len(groups) == 0 {
		return
	}
	e.teardown.Go(func() {
		for _, g := range groups {
			e.snapshots.DropLoaded(g, keep)
		}
		for _, s := range stale {
			e.destroy(s, retiredChanged)
		}
	})
}

// Retire drops what the engine keeps of fn's draft from before its latest
// change: idle instances of the older code or configuration now, busy ones
// as their calls end, and the image made of the older draft. The next call
// would do the same; Retire does it when the change is saved, so that an
// image does not keep a replaced secret until then.
func (e *Engine) Retire(fn *core.Function) {
	group, key := groupOf(fn, core.LatestVersion), codeKey(fn, core.LatestVersion)
	e.mu.Lock()
	var stale []*instance
	var images []string
	if _, ok := e.current[group]; ok {
		stale, images = e.switchLocked(group, key)
	} else if e.imaged[group] {
		images = []string{group}
	}
	e.mu.Unlock()
	e.discard(stale, images, key)
}

// Forget drops everything the engine keeps of a deleted function, or of one
// of its versions when version is not "": idle instances now, busy ones as
// their calls end, and images.
func (e *Engine) Forget(functionID, version string) {
	prefix := functionID + "\x00"
	matches := func(group string) bool {
		return group == prefix+version || (version == "" && strings.HasPrefix(group, prefix))
	}
	e.mu.Lock()
	var stale []*instance
	for g, key := range e.current {
		if matches(g) {
			stale = append(stale, e.warm[key]...)
			delete(e.warm, key)
			delete(e.current, g)
		}
	}
	var images []string
	for g := range e.imaged {
		if matches(g) {
			images = append(images, g)
			delete(e.imaged, g)
		}
	}
	e.mu.Unlock()
	e.discard(stale, images, "")
}

// Run keeps the pre-warmed pool filled and destroys instances idle for
// longer than IdleTTL, until ctx ends.
func (e *Engine) Run(ctx context.Context) {
	if e.pool != nil {
		done := make(chan struct{})
		go func() { e.pool.run(ctx); close(done) }()
		defer func() { <-done }()
	}
	period := min(e.opts.IdleTTL/4, 30*time.Second)
	period = max(period, 10*time.Millisecond)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			e.reap(time.Now().Add(-e.opts.IdleTTL))
			e.recycleGrown()
		}
	}
}

// reap destroys idle instances last used before cutoff.
func (e *Engine) reap(cutoff time.Time) {
	var old []*instance
	e.mu.Lock()
	for k, list := range e.warm {
		keep := list[:0]
		for _, inst := range list {
			if inst.lastUsed.Before(cutoff) {
				old = append(old, inst)
			} else {
				keep = append(keep, inst)
			}
		}
		if len(keep) == 0 {
			delete(e.warm, k)
		} else {
			e.warm[k] = keep
		}
	}
	for k, l := range e.traffic {
		if l.busy == 0 && len(l.waiters) == 0 && len(e.warm[k]) == 0 {
			delete(e.traffic, k)
		}
	}
	for g, k := range e.current {
		if e.traffic[k] == nil && len(e.warm[k]) == 0 {
			delete(e.current, g)
		}
	}
	e.mu.Unlock()
	for _, inst := range old {
		e.destroy(inst, retiredIdle)
	}
}

// recycleGrown destroys idle instances whose memory use passed
// MaxMemoryFraction of their limit. It runs in the reaper, off the call
// path: reading the counters costs syscalls.
func (e *Engine) recycleGrown() {
	if e.opts.MaxMemoryFraction <= 0 {
		return
	}
	var grown []*instance
	e.mu.Lock()
	for k, list := range e.warm {
		keep := list[:0]
		for _, inst := range list {
			if mr, ok := inst.sb.(sandbox.MemoryReporter); ok {
				used, err := mr.MemoryBytes()
				if err == nil && float64(used) > e.opts.MaxMemoryFraction*float64(inst.memoryMB<<20) {
					grown = append(grown, inst)
					continue
				}
			}
			keep = append(keep, inst)
		}
		if len(keep) == 0 {
			delete(e.warm, k)
		} else {
			e.warm[k] = keep
		}
	}
	e.mu.Unlock()
	for _, inst := range grown {
		e.log.Info("recycling an instance that grew past its memory threshold", zap.String("instance", inst.sb.ID()))
		e.destroy(inst, retiredMemory)
	}
}

// Close refuses new calls, destroys every idle instance and waits for
// teardowns in progress; instances in use are destroyed as their calls end.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	var all []*instance
	for _, list := range e.warm {
		all = append(all, list...)
	}
	e.warm = map[string][]*instance{}
	e.open = map[string][]*instance{} // busy ones take no more calls
	for _, l := range e.traffic {
		// Each starts nothing: it sees the engine closed.
		for _, w := range l.waiters {
			w.ch <- nil
		}
		l.busy += len(l.waiters)
		l.booting += len(l.waiters)
		l.waiters = nil
	}
	e.mu.Unlock()
	for _, inst := range all {
		e.destroy(inst, retiredShutdown)
	}
	e.teardown.Wait()
	if e.pool != nil {
		e.pool.close()
	}
}

func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// Idle returns how many warm instances are waiting.
func (e *Engine) Idle() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, list := range e.warm {
		n += len(list)
	}
	return n
}

// Busy is how many instances serve a call or start for one.
func (e *Engine) Busy() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, l := range e.traffic {
		n += l.busy
	}
	return n
}
