//go:build linux

package gvisor

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// loadedFn's init fixes the random state and records when it ran; each
// call reports that, the calls this instance served, its environment, a
// file read from the code dir at call time and a random number.
const loadedFn = `import os, random, time
random.seed(1)
STARTED = time.time()
CALLS = []
def handler(event, ctx):
    CALLS.append(event["n"])
    with open("data.txt") as f:
        data = f.read()
    return {"started": STARTED, "calls": CALLS, "env": os.environ.get("FOO"), "data": data, "r": random.random()}
`

func fillLoaded(dir string) error {
	for name, body := range map[string]string{"main.py": loadedFn, "data.txt": "read at call time"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil { //nolint:gosec // the sandbox user reads the code
			return err
		}
	}
	return nil
}

// waitLoaded restores an instance from key's image, waiting for the image.
func waitLoaded(t *testing.T, d *Driver, key string, spec sandbox.Spec) sandbox.Instance {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		inst, err := d.CreateLoaded(t.Context(), key, spec, fillLoaded)
		if err != nil {
			t.Fatal(err)
		}
		if inst != nil {
			t.Cleanup(func() {
				if err := inst.Destroy(context.Background()); err != nil {
					t.Error(err)
				}
			})
			return inst
		}
		if time.Now().After(deadline) {
			t.Fatalf("no image for %s after a minute", key)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLoadedSnapshot: a function's init runs once, for its image; instances
// restored from it serve at once with the init's state, environment and
// code, have served no call before their own, and draw different random
// numbers. A newer key of the same scope replaces the image.
func TestLoadedSnapshot(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{})
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	load := sandbox.LoadRequest{Handler: "main.handler", Env: map[string]string{"FOO": "bar"}, FunctionName: "f"}
	if d.SnapshotLoaded("f/1", "node", sandbox.Spec{Runtime: sandbox.RuntimeNode}, fillLoaded, load) {
		t.Error("Node instances are snapshotted after load, though their random state cannot be re-seeded")
	}
	if !d.SnapshotLoaded("f/1", "k1", spec, fillLoaded, load) {
		t.Fatal("Python instances are not snapshotted after load")
	}
	type result struct {
		Started float64
		Calls   []int
		Env     string
		Data    string
		R       float64
	}
	var got []result
	for n := range 2 {
		inst := waitLoaded(t, d, "k1", spec)
		if !inst.(*instance).restored {
			t.Fatal("the instance was not restored")
		}
		if err := inst.Load(t.Context(), load); !errors.Is(err, sandbox.ErrAlreadyLoaded) {
			t.Errorf("Load on a loaded instance: %v, want ErrAlreadyLoaded", err)
		}
		res, err := inst.Invoke(t.Context(), sandbox.Request{ID: "x", Event: []byte(`{"n":` + string(rune('0'+n)) + `}`), Deadline: time.Now().Add(10 * time.Second)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			t.Fatalf("invoke: %+v %v", res, err)
		}
		var r result
		if err := json.Unmarshal(res.Payload, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Calls) != 1 || r.Calls[0] != n || r.Env != "bar" || r.Data != "read at call time" {
			t.Errorf("instance %d returned %+v", n, r)
		}
		got = append(got, r)
	}
	if got[0].Started != got[1].Started {
		t.Errorf("the init ran in each instance (%v, %v), not once for the image", got[0].Started, got[1].Started)
	}
	if got[0].R == got[1].R {
		t.Errorf("both restored instances drew %v: the random module was not re-seeded", got[0].R)
	}

	if !d.SnapshotLoaded("f/1", "k2", spec, fillLoaded, load) {
		t.Fatal("SnapshotLoaded k2 refused")
	}
	if inst, err := d.CreateLoaded(t.Context(), "k1", spec, fillLoaded); inst != nil || err != nil {
		t.Errorf("k1's image served after k2 replaced it in the same scope: %v %v", inst, err)
	}
	waitLoaded(t, d, "k2", spec)
	if n := functionImages(t, d); n != 1 {
		t.Errorf("%d function images on disk, want 1 (k1's deleted)", n)
	}

	// The function version changed (or was deleted): its image goes.
	d.DropLoaded("f/1", "k2")
	if n := functionImages(t, d); n != 1 {
		t.Errorf("DropLoaded keeping k2 left %d function images, want k2's", n)
	}
	d.DropLoaded("f/1", "")
	if inst, err := d.CreateLoaded(t.Context(), "k2", spec, fillLoaded); inst != nil || err != nil {
		t.Errorf("k2's image served after DropLoaded: %v %v", inst, err)
	}
	if n := functionImages(t, d); n != 0 {
		t.Errorf("%d function images on disk after DropLoaded, want none", n)
	}
}

// functionImages counts the function images on d's disk.
func functionImages(t *testing.T, d *Driver) int {
	t.Helper()
	images, err := os.ReadDir(d.host.images)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range images {
		if strings.HasPrefix(e.Name(), "fn-") {
			n++
		}
	}
	return n
}

// TestCloseStopsImageBuilds: Close waits for a function image build in
// progress, which leaves no instance or image behind, and no build starts
// after it.
func TestCloseStopsImageBuilds(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{})
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	load := sandbox.LoadRequest{Handler: "main.handler"}
	if !d.SnapshotLoaded("f/1", "k", spec, fillLoaded, load) {
		t.Fatal("SnapshotLoaded refused")
	}
	time.Sleep(100 * time.Millisecond) // let the build start its sandbox
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{d.host.inst, d.host.images} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) > 0 {
			t.Errorf("%s holds %d entries after Close, want none", dir, len(entries))
		}
	}
	if d.SnapshotLoaded("f/1", "k2", spec, fillLoaded, load) {
		t.Error("SnapshotLoaded took a build after Close")
	}
}

// TestLoadedSnapshotFailedLoad: a function whose init fails gets no image,
// and its build leaves no instance behind.
func TestLoadedSnapshotFailedLoad(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{})
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	broken := func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "main.py"), []byte("raise RuntimeError('init fails')\n"), 0o644) //nolint:gosec // the sandbox user reads the code
	}
	if !d.SnapshotLoaded("f/1", "k", spec, broken, sandbox.LoadRequest{Handler: "main.handler"}) {
		t.Fatal("SnapshotLoaded refused")
	}
	d.tplMu.Lock()
	built := d.loaded["k"].ready
	d.tplMu.Unlock()
	select {
	case <-built:
	case <-time.After(time.Minute):
		t.Fatal("the build did not finish within a minute")
	}
	if inst, err := d.CreateLoaded(t.Context(), "k", spec, broken); inst != nil || err != nil {
		t.Errorf("CreateLoaded after a failed build: %v %v, want nothing", inst, err)
	}
	if entries, err := os.ReadDir(d.host.inst); err != nil || len(entries) > 0 {
		t.Errorf("instances left after the failed build: %d (%v)", len(entries), err)
	}
}
