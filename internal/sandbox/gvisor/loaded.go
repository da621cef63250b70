//go:build linux

package gvisor

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// A loaded image is the checkpoint of an instance that has loaded one
// function (its init code ran) and served no call: the function's code,
// environment and module state, and nothing of any call. CreateLoaded
// restores it with the code written into the new instance's own code dir
// (a bind mount re-opened on restore, so files the function reads later are
// there) and sends the runtime fresh entropy before its first call. Only
// SnapshotRuntimes are snapshotted, for the reasons given in doc.go.
type loadedImage struct {
	template
	scope string
}

// maxLoadedImages bounds the function images kept (a few MB each for
// Python, more for large imports); the least recently used finished one is
// deleted to make room.
const maxLoadedImages = 32

// SnapshotLoaded implements sandbox.LoadedSnapshots.
func (d *Driver) SnapshotLoaded(scope, key string, spec sandbox.Spec, fill func(string) error, fn sandbox.LoadRequest) bool {
	spec = spec.WithDefaults()
	if d.probe() != nil || spec.Validate() != nil || spec.Network || !slices.Contains(d.opts.SnapshotRuntimes, spec.Runtime) {
		return false
	}
	d.tplMu.Lock()
	defer d.tplMu.Unlock()
	if d.closing.Err() != nil {
		return false
	}
	if t := d.loaded[key]; t != nil && (t.failedAt.IsZero() || time.Since(t.failedAt) < templateRetry) {
		return true // built, being built, or failed recently
	}
	if old, ok := d.scopes[scope]; ok && old != key {
		d.dropLoadedLocked(old)
	}
	d.evictLoadedLocked()
	t := &loadedImage{template: template{ready: make(chan struct{}), lastUsed: time.Now()}, scope: scope}
	d.loaded[key], d.scopes[scope] = t, key
	d.builds.Go(func() { d.buildLoaded(key, t, spec, fill, fn) })
	return true
}

// CreateLoaded implements sandbox.LoadedSnapshots.
func (d *Driver) CreateLoaded(ctx context.Context, key string, spec sandbox.Spec, fill func(string) error) (sandbox.Instance, error) {
	spec = spec.WithDefaults()
	d.tplMu.Lock()
	t := d.loaded[key]
	var img string
	if t != nil {
		select {
		case <-t.ready:
			if t.err == nil {
				img, t.lastUsed = t.dir, time.Now()
			}
		default: // still building
		}
	}
	d.tplMu.Unlock()
	if img == "" {
		return nil, nil
	}
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("create from snapshot: %w", err)
	}
	ctx, cancel := d.startContext(ctx)
	defer cancel()
	inst, err := d.start(ctx, spec, img, fill)
	if err != nil {
		return nil, fmt.Errorf("create from snapshot: %w", err)
	}
	inst.mu.Lock()
	inst.loaded = true
	inst.mu.Unlock()
	if err := inst.client.Reseed(); err != nil {
		if derr := inst.Destroy(context.WithoutCancel(ctx)); derr != nil {
			inst.log.Warn("destroy", zap.Error(derr))
		}
		return nil, fmt.Errorf("create from snapshot: %w", err)
	}
	return inst, nil
}

// buildLoaded starts an instance (from the runtime's image when there is
// one), loads the function into it, and checkpoints it for key. An image
// whose key was dropped meanwhile is deleted.
func (d *Driver) buildLoaded(key string, t *loadedImage, spec sandbox.Spec, fill func(string) error, fn sandbox.LoadRequest) {
	ctx, cancel := context.WithTimeout(d.closing, 2*d.opts.StartTimeout)
	defer cancel()
	begin := time.Now()
	dir, err := d.checkpointLoaded(ctx, spec, fill, fn)
	d.tplMu.Lock()
	t.dir, t.err = dir, err
	if err != nil {
		t.failedAt = time.Now()
	}
	dropped := d.loaded[key] != t
	d.tplMu.Unlock()
	close(t.ready)
	switch {
	case err != nil:
		d.log.Warn("function snapshot failed", zap.Any("labels", spec.Labels), zap.Error(err))
	case dropped:
		_ = os.RemoveAll(dir)
	default:
		d.log.Info("function snapshot ready", zap.Any("labels", spec.Labels), zap.String("image", dir),
			zap.Duration("took", time.Since(begin)))
	}
}

func (d *Driver) checkpointLoaded(ctx context.Context, spec sandbox.Spec, fill func(string) error, fn sandbox.LoadRequest) (string, error) {
	img, _, err := d.image(ctx, spec)
	if err != nil {
		img = ""
	}
	inst, err := d.startOrBoot(ctx, spec, img)
	if err != nil {
		return "", err
	}
	err = fill(inst.codeDir)
	if err == nil {
		err = inst.Load(ctx, fn)
	}
	if err != nil {
		if derr := inst.Destroy(context.WithoutCancel(ctx)); derr != nil {
			d.log.Warn("destroy snapshot instance", zap.Error(derr))
		}
		return "", fmt.Errorf("load for snapshot: %w", err)
	}
	return d.checkpointInstance(ctx, inst, "fn-"+spec.Runtime+"-")
}

// DropLoaded implements sandbox.LoadedSnapshots.
func (d *Driver) DropLoaded(scope, keep string) {
	d.tplMu.Lock()
	defer d.tplMu.Unlock()
	if key, ok := d.scopes[scope]; ok && (keep == "" || key != keep) {
		d.dropLoadedLocked(key)
	}
}

// dropLoadedLocked forgets key's image and deletes it once built (a build
// in progress deletes its own image when it finds its key dropped).
func (d *Driver) dropLoadedLocked(key string) {
	t := d.loaded[key]
	if t == nil {
		return
	}
	delete(d.loaded, key)
	if d.scopes[t.scope] == key {
		delete(d.scopes, t.scope)
	}
	select {
	case <-t.ready:
		if t.dir != "" {
			if err := os.RemoveAll(t.dir); err != nil {
				d.log.Warn("remove snapshot", zap.String("image", t.dir), zap.Error(err))
			}
		}
	default:
	}
}

// evictLoadedLocked drops the least recently used finished image when the
// cache is full. A restore that raced with it fails, and its caller loads
// the function instead.
func (d *Driver) evictLoadedLocked() {
	if len(d.loaded) < maxLoadedImages {
		return
	}
	oldest := ""
	for k, t := range d.loaded {
		select {
		case <-t.ready:
		default:
			continue
		}
		if oldest == "" || t.lastUsed.Before(d.loaded[oldest].lastUsed) {
			oldest = k
		}
	}
	if oldest != "" {
		d.dropLoadedLocked(oldest)
	}
}
