//go:build linux

package gvisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// A snapshot template is the checkpoint of a freshly booted instance whose
// runtime has sent its ready frame and is blocked reading its request pipe:
// interpreter and bootstrap started, no function code, no environment, no
// secrets. Every instance created for the same key is restored from it.
//
// The key holds what the image fixes: the runtime, the memory size (Node's
// heap limit is a command-line flag), the process limit (an rlimit of the
// init) and the /tmp size (a mount inside the image). The memory and CPU
// limits themselves are host cgroup settings taken from the restored
// instance's own Spec. The code directory is a bind mount re-opened from the
// new instance's bundle on restore.
type templateKey struct {
	runtime   string
	memoryMB  int
	maxProcs  int
	tmpSizeMB int
}

func keyOf(s sandbox.Spec) templateKey {
	return templateKey{runtime: s.Runtime, memoryMB: s.MemoryMB, maxProcs: s.MaxProcs, tmpSizeMB: s.TmpSizeMB}
}

type template struct {
	ready    chan struct{} // closed once dir or err is set
	dir      string
	err      error
	failedAt time.Time
	lastUsed time.Time  // guarded by Driver.tplMu
	starts   startStats // guarded by Driver.tplMu
}

// startStats choose between restoring a template's image and booting. A
// restore has a fixed cost (runsc restore: ~120 ms on a 2-core host,
// whatever the image), so a runtime that boots about as fast, as Python
// does, gains nothing from its image; Node's restore takes ~0.65 × its
// boot. The choice follows moving averages of both, and one start in
// probeEvery takes the other way so that its average stays current.
type startStats struct {
	boot, restore time.Duration // 0 until measured
	starts        int
	restoring     bool // the last choice that was not a probe
}

const (
	// sampleWeight is a new sample's weight in the moving averages.
	sampleWeight = 0.25
	// restoreMargin: restore while it takes under this fraction of a boot
	// (a tie goes to booting, which reads no image).
	restoreMargin = 0.9
	probeEvery    = 16
)

// chooseRestore reports whether the next start should restore, and
// whether that choice is a probe. Until both ways are measured it restores.
func (s *startStats) chooseRestore() (restore, probe bool) {
	s.starts++
	if s.boot == 0 || s.restore == 0 {
		return true, false
	}
	faster := s.restore < time.Duration(float64(s.boot)*restoreMargin)
	if s.starts%probeEvery == 0 {
		return !faster, true
	}
	return faster, false
}

// record adds one start's duration, by the way it was made.
func (s *startStats) record(restored bool, took time.Duration) {
	avg := &s.boot
	if restored {
		avg = &s.restore
	}
	if *avg == 0 {
		*avg = took
		return
	}
	*avg += time.Duration(sampleWeight * float64(took-*avg))
}

// templateRetry is how long a failed checkpoint is remembered before the
// next Create tries again (meanwhile instances boot).
const templateRetry = time.Minute

// maxTemplates bounds the images kept (a few MB each); the least recently
// used one is deleted to make room. Restores already running from it have
// read what they need (runsc loads the image before it returns).
const maxTemplates = 16

// image returns the snapshot image for spec's key, building it on first use,
// and its template. Concurrent callers share one build; ctx bounds only
// this caller's wait.
func (d *Driver) image(ctx context.Context, spec sandbox.Spec) (string, *template, error) {
	k := keyOf(spec)
	d.tplMu.Lock()
	t := d.templates[k]
	if t != nil && t.err != nil && time.Since(t.failedAt) > templateRetry {
		t = nil
	}
	if t == nil {
		if d.closing.Err() != nil {
			d.tplMu.Unlock()
			return "", nil, errors.New("snapshot: the driver is closed")
		}
		d.evictLocked()
		t = &template{ready: make(chan struct{})}
		d.templates[k] = t
		// Not bounded by this caller's ctx: the build is shared by every
		// Create waiting for the same key. Close stops and waits for it.
		d.builds.Go(func() { d.buildTemplate(d.closing, k, t) })
	}
	t.lastUsed = time.Now()
	d.tplMu.Unlock()
	select {
	case <-t.ready:
		return t.dir, t, t.err
	case <-ctx.Done():
		return "", nil, fmt.Errorf("wait for snapshot: %w", context.Cause(ctx))
	}
}

// useImage reports whether a Create for t should restore its image rather
// than boot, logging when the choice changes.
func (d *Driver) useImage(k templateKey, t *template) bool {
	d.tplMu.Lock()
	defer d.tplMu.Unlock()
	restore, probe := t.starts.chooseRestore()
	if !probe && restore != t.starts.restoring && t.starts.starts > 1 {
		d.log.Info("snapshot restores switched", zap.Bool("restore", restore),
			zap.String("runtime", k.runtime), zap.Int("memory_mb", k.memoryMB),
			zap.Duration("boot_avg", t.starts.boot), zap.Duration("restore_avg", t.starts.restore))
	}
	if !probe {
		t.starts.restoring = restore
	}
	return restore
}

// recordStart adds a start that went the way it was meant to.
func (d *Driver) recordStart(t *template, restored bool, took time.Duration) {
	d.tplMu.Lock()
	t.starts.record(restored, took)
	d.tplMu.Unlock()
}

// evictLocked deletes the least recently used finished template when the
// cache is full. A restore that raced with the eviction fails and its
// Create boots instead.
func (d *Driver) evictLocked() {
	if len(d.templates) < maxTemplates {
		return
	}
	var oldest templateKey
	var found *template
	for k, t := range d.templates {
		select {
		case <-t.ready:
		default:
			continue // still building
		}
		if found == nil || t.lastUsed.Before(found.lastUsed) {
			oldest, found = k, t
		}
	}
	if found == nil {
		return
	}
	delete(d.templates, oldest)
	if found.dir != "" {
		if err := os.RemoveAll(found.dir); err != nil {
			d.log.Warn("remove snapshot", zap.String("image", found.dir), zap.Error(err))
		}
	}
}

// buildTemplate boots an instance for k, checkpoints it into a new image
// directory and destroys it.
func (d *Driver) buildTemplate(ctx context.Context, k templateKey, t *template) {
	ctx, cancel := context.WithTimeout(ctx, 2*d.opts.StartTimeout)
	defer cancel()
	begin := time.Now()
	dir, boot, err := d.checkpoint(ctx, k)
	d.tplMu.Lock()
	t.dir, t.err = dir, err
	if err != nil {
		t.failedAt = time.Now()
	} else {
		t.starts.record(false, boot)
	}
	d.tplMu.Unlock()
	close(t.ready)
	if err != nil {
		d.log.Warn("snapshot failed", zap.String("runtime", k.runtime), zap.Error(err))
		return
	}
	d.log.Info("snapshot ready", zap.String("runtime", k.runtime), zap.Int("memory_mb", k.memoryMB),
		zap.String("image", dir), zap.Duration("took", time.Since(begin)))
}

// checkpoint boots an instance for k and checkpoints it; it returns the
// image and how long the boot took.
func (d *Driver) checkpoint(ctx context.Context, k templateKey) (string, time.Duration, error) {
	spec := sandbox.Spec{
		Runtime: k.runtime, MemoryMB: k.memoryMB, MaxProcs: k.maxProcs, TmpSizeMB: k.tmpSizeMB,
		Labels: map[string]string{"role": "snapshot-template"},
	}.WithDefaults()
	begin := time.Now()
	inst, err := d.start(ctx, spec, "", nil)
	if err != nil {
		return "", 0, fmt.Errorf("boot template: %w", err)
	}
	boot := time.Since(begin)
	dir, err := d.checkpointInstance(ctx, inst, fmt.Sprintf("%s-%dm-", k.runtime, k.memoryMB))
	return dir, boot, err
}

// checkpointInstance checkpoints inst into a new image directory whose name
// starts with prefix, and destroys inst.
func (d *Driver) checkpointInstance(ctx context.Context, inst *instance, prefix string) (string, error) {
	defer func() {
		if err := inst.Destroy(context.WithoutCancel(ctx)); err != nil {
			d.log.Warn("destroy checkpointed instance", zap.Error(err))
		}
	}()
	dir, err := os.MkdirTemp(d.host.images, prefix)
	if err != nil {
		return "", fmt.Errorf("create image dir: %w", err)
	}
	// Uncompressed: restoring skips the decompression, and the images are
	// a few MB (Python) to a few tens of MB (Node).
	err = d.host.rs.run(ctx, filepath.Join(inst.bundle, "runsc.log"),
		"checkpoint", "--image-path", dir, "--compression", "none", inst.id)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}
