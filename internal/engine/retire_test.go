package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns"
)

// imagingDriver is the linuxns driver plus the image bookkeeping of
// sandbox.LoadedSnapshots, as gVisor keeps it (one image per scope, a
// drop keeps keep's), without building any: it shows which images the
// engine asks for and drops.
type imagingDriver struct {
	*linuxns.Driver
	mu     sync.Mutex
	images map[string]string // key by scope
}

func (d *imagingDriver) SnapshotLoaded(scope, key string, _ sandbox.Spec, _ func(string) error, _ sandbox.LoadRequest) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.images[scope] = key
	return true
}

func (d *imagingDriver) CreateLoaded(context.Context, string, sandbox.Spec, func(string) error) (sandbox.Instance, error) {
	return nil, nil
}

func (d *imagingDriver) DropLoaded(scope, keep string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if key, ok := d.images[scope]; ok && (keep == "" || key != keep) {
		delete(d.images, scope)
	}
}

func (d *imagingDriver) image(scope string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	key, ok := d.images[scope]
	return key, ok
}

// imagingEngine is realEngine on an imagingDriver, imaging every load.
func imagingEngine(t *testing.T) (*Engine, *imagingDriver, *core.Function) {
	t.Helper()
	d := &imagingDriver{Driver: newLinuxns(t), images: map[string]string{}}
	e, fn := engineOn(t, d, Options{IdleTTL: time.Hour, SnapshotAfter: time.Nanosecond})
	return e, d, fn
}

// TestRetireOnEdit: saving a change to a function's draft destroys its idle
// instances and drops its image at once, not at its next call, so neither
// keeps a replaced secret; saving an unchanged draft keeps both.
func TestRetireOnEdit(t *testing.T) {
	e, d, fn := imagingEngine(t)
	group := groupOf(fn, core.LatestVersion)
	call(t, e, fn)
	if _, ok := d.image(group); !ok || e.Idle() != 1 {
		t.Fatalf("after a call: image %v, %d idle instances; want both", ok, e.Idle())
	}

	same := *fn
	e.Retire(&same)
	e.teardown.Wait()
	if _, ok := d.image(group); !ok || e.Idle() != 1 {
		t.Fatalf("an unchanged draft lost its image (%v) or instance (%d idle)", ok, e.Idle())
	}

	edited := *fn
	edited.Env = map[string]string{"TAG": "rotated"}
	e.Retire(&edited)
	e.teardown.Wait()
	if key, ok := d.image(group); ok || e.Idle() != 0 {
		t.Fatalf("after an edit: image %q kept (%v), %d idle instances kept", key, ok, e.Idle())
	}
	out := call(t, e, &edited)
	if got := string(out.Result); got != `"rotated"` || !out.Execution.ColdStart {
		t.Fatalf("the edited function ran %s (cold %v)", got, out.Execution.ColdStart)
	}
	if key, _ := d.image(group); key != codeKey(&edited, core.LatestVersion) {
		t.Errorf("image key %q after the edited load, want the edited draft's", key)
	}
}

// TestForget: deleting a function drops its idle instances and images of
// every version; deleting one version drops only that version's, and a
// call in flight is not reused after its function was deleted.
func TestForget(t *testing.T) {
	e, d, fn := imagingEngine(t)
	draft, v1 := groupOf(fn, core.LatestVersion), groupOf(fn, "1")
	call(t, e, fn)
	if _, err := e.Invoke(t.Context(), Call{Function: fn, Version: "1", Event: []byte(`{}`), Trigger: "api"}); err != nil {
		t.Fatal(err)
	}
	if e.Idle() != 2 {
		t.Fatalf("%d idle instances, want the draft's and version 1's", e.Idle())
	}

	e.Forget(fn.ID, "1")
	e.teardown.Wait()
	_, draftImage := d.image(draft)
	_, v1Image := d.image(v1)
	if e.Idle() != 1 || !draftImage || v1Image {
		t.Fatalf("after forgetting version 1: %d idle, draft image %v, v1 image %v; want 1, true, false", e.Idle(), draftImage, v1Image)
	}

	e.Forget(fn.ID, "")
	e.teardown.Wait()
	if _, ok := d.image(draft); ok || e.Idle() != 0 {
		t.Fatalf("after forgetting the function: draft image %v, %d idle instances", ok, e.Idle())
	}
	if !call(t, e, fn).Execution.ColdStart {
		t.Error("a call after Forget reused an instance")
	}
}
