//go:build linux

package gvisor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// TestStartStatsChoosesFaster: restores while they measure faster than
// boots, boots otherwise, and probes the other way one start in probeEvery.
func TestStartStatsChoosesFaster(t *testing.T) {
	var s startStats
	if restore, _ := s.chooseRestore(); !restore {
		t.Fatal("with nothing measured, restore (to measure it)")
	}
	s.record(false, 130*time.Millisecond)
	if restore, _ := s.chooseRestore(); !restore {
		t.Fatal("with only the boot measured, restore")
	}
	s.record(true, 125*time.Millisecond)
	count := func() (restores, probes int) {
		for range 4 * probeEvery {
			r, p := s.chooseRestore()
			if r {
				restores++
			}
			if p {
				probes++
			}
		}
		return restores, probes
	}
	if r, p := count(); r != 4 || p != 4 {
		t.Fatalf("restore as fast as a boot: %d restores and %d probes in %d starts, want 4 and 4", r, p, 4*probeEvery)
	}
	// Restores get faster (a slower disk warmed up, say): the average
	// follows within a few samples and restores take over.
	for range 8 {
		s.record(true, 60*time.Millisecond)
	}
	if r, p := count(); r != 4*probeEvery-4 || p != 4 {
		t.Fatalf("restore at half a boot: %d restores and %d probes in %d starts, want %d and 4", r, p, 4*probeEvery, 4*probeEvery-4)
	}
	if s.restore > 70*time.Millisecond || s.restore < 60*time.Millisecond {
		t.Fatalf("restore average %v after 8 samples of 60ms from 125ms", s.restore)
	}
}

// TestCreateRestoresOnlyWhenFaster: with snapshots on (the default for
// Python), Create restores while the template's restores measure faster
// than its boots and boots while they do not.
func TestCreateRestoresOnlyWhenFaster(t *testing.T) {
	d := newTestDriver(t, Options{})
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	create := func() bool {
		t.Helper()
		inst, err := d.Create(t.Context(), spec)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := inst.Destroy(context.Background()); err != nil {
				t.Error(err)
			}
		}()
		code := "def handler(event, context):\n    return 42\n"
		if err := os.WriteFile(filepath.Join(inst.CodeDir(), "main.py"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := inst.Load(t.Context(), sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
			t.Fatal(err)
		}
		res, err := inst.Invoke(t.Context(), sandbox.Request{ID: "x", Deadline: time.Now().Add(10 * time.Second)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded || string(res.Payload) != "42" {
			t.Fatalf("%+v %v", res, err)
		}
		return inst.(*instance).restored
	}
	if !create() {
		t.Fatal("the first Create booted: with the restore not yet measured, it restores")
	}
	d.tplMu.Lock()
	tpl := d.templates[keyOf(spec.WithDefaults())]
	if tpl == nil || tpl.starts.boot == 0 || tpl.starts.restore == 0 {
		d.tplMu.Unlock()
		t.Fatalf("template starts not measured: %+v", tpl)
	}
	tpl.starts.boot, tpl.starts.restore = time.Millisecond, time.Second
	d.tplMu.Unlock()
	if create() {
		t.Fatal("restored although boots measure 1000 times faster")
	}
	d.tplMu.Lock()
	tpl.starts.boot, tpl.starts.restore = time.Second, time.Millisecond
	d.tplMu.Unlock()
	if !create() {
		t.Fatal("booted although restores measure 1000 times faster")
	}
}
