//go:build linux

package gvisor

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// A parked sandbox is one runsc has created but not started: its sandbox
// process and gofer run, its cgroups and pipes exist, and its container
// waits to be started or restored into. That part of a start (runsc
// create, ~80 ms on a 2-core host) is the same whatever the sandbox later
// runs, so the driver keeps one parked sandbox for each kind of sandbox
// Create made recently, and a Create of that kind starts its runtime in
// it, or restores its snapshot into it, at once; a new one is parked in
// the background for the next Create. A parked sandbox holds ~12 MB (the
// sandbox process and the gofer) and nothing of any function: it gets its
// code after it is taken, as every instance with a private code
// directory does. Unused for ten minutes, it is destroyed.
type parkKey struct {
	templateKey
	cpuShare float64 // the CPU quota is in the bundle too
}

func parkKeyOf(s sandbox.Spec) parkKey {
	return parkKey{templateKey: keyOf(s), cpuShare: s.CPUShare}
}

// defaultParkedTTL is how long a parked sandbox waits for a Create
// (Driver.parkedTTL; tests shorten it).
const defaultParkedTTL = 10 * time.Minute

// maxParked bounds the kinds of sandbox kept parked; parking one more
// destroys the one parked longest.
const maxParked = 4

// parkedSandbox is the parked sandbox of a key, or the parking of one.
type parkedSandbox struct {
	inst     *instance // nil while parking
	parkedAt time.Time
	expiry   *time.Timer
}

// takeParked returns the parked sandbox of spec's kind, or nil; the caller
// unparks it.
func (d *Driver) takeParked(spec sandbox.Spec) *instance {
	k := parkKeyOf(spec)
	d.tplMu.Lock()
	defer d.tplMu.Unlock()
	p := d.parked[k]
	if p == nil || p.inst == nil {
		return nil
	}
	delete(d.parked, k)
	p.expiry.Stop()
	inst := p.inst
	inst.spec = spec // the same sandbox; the labels are the caller's
	inst.log = d.instanceLog(inst.id, spec)
	return inst
}

// repark parks a sandbox of spec's kind in the background unless one is
// parked or parking, or the driver is closing.
func (d *Driver) repark(spec sandbox.Spec) {
	k := parkKeyOf(spec)
	d.tplMu.Lock()
	defer d.tplMu.Unlock()
	if d.parked[k] != nil || d.closing.Err() != nil {
		return
	}
	d.parked[k] = &parkedSandbox{}
	d.builds.Go(func() { d.park(k, spec) })
}

// park creates a sandbox for k and keeps it until a Create takes it, it
// expires, or the driver closes.
func (d *Driver) park(k parkKey, spec sandbox.Spec) {
	spec.Labels = map[string]string{"role": "parked"}
	inst := d.newInstance(spec)
	ctx, cancel := context.WithTimeout(d.closing, d.opts.StartTimeout)
	defer cancel()
	err := inst.park(ctx)
	d.tplMu.Lock()
	if closing := d.closing.Err() != nil; err != nil || closing {
		delete(d.parked, k)
		d.tplMu.Unlock()
		if !closing {
			d.log.Warn("park sandbox", zap.String("runtime", k.runtime), zap.Error(err))
		}
		d.destroyParked(inst)
		return
	}
	var evict *instance
	if len(d.parked) > maxParked {
		evict = d.evictParkedLocked(k)
	}
	p := d.parked[k]
	p.inst, p.parkedAt = inst, time.Now()
	p.expiry = time.AfterFunc(d.parkedTTL, func() { d.expireParked(k, inst) })
	d.tplMu.Unlock()
	if evict != nil {
		d.destroyParked(evict)
	}
}

// evictParkedLocked unlists and returns the sandbox parked longest, other
// than k's. Callers hold tplMu.
func (d *Driver) evictParkedLocked(except parkKey) *instance {
	var oldest parkKey
	var found *parkedSandbox
	for k, p := range d.parked {
		if k != except && p.inst != nil && (found == nil || p.parkedAt.Before(found.parkedAt)) {
			oldest, found = k, p
		}
	}
	if found == nil {
		return nil
	}
	delete(d.parked, oldest)
	found.expiry.Stop()
	return found.inst
}

// expireParked destroys inst if it is still k's parked sandbox.
func (d *Driver) expireParked(k parkKey, inst *instance) {
	d.tplMu.Lock()
	p := d.parked[k]
	if p == nil || p.inst != inst {
		d.tplMu.Unlock()
		return
	}
	delete(d.parked, k)
	d.tplMu.Unlock()
	d.destroyParked(inst)
}

// closeParked destroys every parked sandbox; Close calls it once no park
// runs any more.
func (d *Driver) closeParked() {
	d.tplMu.Lock()
	var all []*instance
	for k, p := range d.parked {
		if p.inst != nil {
			p.expiry.Stop()
			all = append(all, p.inst)
		}
		delete(d.parked, k)
	}
	d.tplMu.Unlock()
	for _, inst := range all {
		d.destroyParked(inst)
	}
}

func (d *Driver) destroyParked(inst *instance) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Destroy(ctx); err != nil {
		d.log.Warn("destroy parked sandbox", zap.String("instance", inst.id), zap.Error(err))
	}
}
