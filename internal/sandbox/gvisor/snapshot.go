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
	lastUsed time.Time // guarded by Driver.tplMu
}

// templateRetry is how long a failed checkpoint is remembered before the
// next Create tries again (meanwhile instances boot).
const templateRetry = time.Minute

// maxTemplates bounds the images kept (a few MB each); the least recently
// used one is deleted to make room. Restores already running from it have
// read what they need (runsc loads the image before it returns).
const maxTemplates = 16

// image returns the snapshot image for spec's key, building it on first use.
// Concurrent callers share one build; ctx bounds only this caller's wait.
func (d *Driver) image(ctx context.Context, spec sandbox.Spec) (string, error) {
	k := keyOf(spec)
	d.tplMu.Lock()
	t := d.templates[k]
	if t != nil && t.err != nil && time.Since(t.failedAt) > templateRetry {
		t = nil
	}
	if t == nil {
		if d.closing.Err() != nil {
			d.tplMu.Unlock()
			return "", errors.New("snapshot: the driver is closed")
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
		return t.dir, t.err
	case <-ctx.Done():
		return "", fmt.Errorf("wait for snapshot: %w", context.Cause(ctx))
	}
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
	dir, err := d.checkpoint(ctx, k)
	d.tplMu.Lock()
	t.dir, t.err = dir, err
	if err != nil {
		t.failedAt = time.Now()
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

func (d *Driver) checkpoint(ctx context.Context, k templateKey) (string, error) {
	spec := sandbox.Spec{
		Runtime: k.runtime, MemoryMB: k.memoryMB, MaxProcs: k.maxProcs, TmpSizeMB: k.tmpSizeMB,
		Labels: map[string]string{"role": "snapshot-template"},
	}.WithDefaults()
	inst, err := d.start(ctx, spec, "", nil)
	if err != nil {
		return "", fmt.Errorf("boot template: %w", err)
	}
	return d.checkpointInstance(ctx, inst, fmt.Sprintf("%s-%dm-", k.runtime, k.memoryMB))
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
