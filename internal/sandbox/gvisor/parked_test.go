//go:build linux

package gvisor

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// awaitParked waits until a sandbox of spec's kind is parked and returns
// it, still parked.
func awaitParked(t testing.TB, d *Driver, spec sandbox.Spec) *instance {
	t.Helper()
	k := parkKeyOf(spec.WithDefaults())
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var inst *instance
		d.tplMu.Lock()
		if p := d.parked[k]; p != nil {
			inst = p.inst
		}
		d.tplMu.Unlock()
		if inst != nil {
			return inst
		}
	}
	t.Fatal("no sandbox parked after 30 s")
	return nil
}

// parkOne makes a Create of spec, destroys the instance, and returns the
// sandbox that Create parked.
func parkOne(t *testing.T, d *Driver, spec sandbox.Spec) *instance {
	t.Helper()
	ctx := context.Background()
	first, err := d.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	return awaitParked(t, d, spec)
}

// createParked makes a Create of spec and checks that it took parked.
func createParked(t *testing.T, d *Driver, spec sandbox.Spec, parked *instance) sandbox.Instance {
	t.Helper()
	ctx := context.Background()
	inst, err := d.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Destroy(ctx) })
	if inst.ID() != parked.id {
		t.Fatalf("Create made %s, not the parked %s", inst.ID(), parked.id)
	}
	return inst
}

// serveEcho loads a Python handler into inst's code dir and checks a call.
func serveEcho(t *testing.T, inst sandbox.Instance) {
	t.Helper()
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), "main.py"), []byte("def handler(e, c):\n    return e['n'] + 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Invoke(ctx, sandbox.Request{ID: "r", Event: []byte(`{"n":41}`), Deadline: time.Now().Add(20 * time.Second)}, nil)
	if err != nil || res.Status != sandbox.StatusSucceeded || string(res.Payload) != "42" {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestParkedSandboxServesNextCreate: a Create parks a sandbox of its kind,
// the next Create of that kind boots (or restores) in it and parks
// another, and the instance works.
func TestParkedSandboxServesNextCreate(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]Options{
		"boot":    {NoSnapshots: true},
		"restore": {SnapshotRuntimes: []string{sandbox.RuntimePython}, AlwaysRestore: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newTestDriver(t, opts)
			spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
			parked := parkOne(t, d, spec)
			second := createParked(t, d, spec, parked)
			if got, want := second.(*instance).restored, name == "restore"; got != want {
				t.Fatalf("restored = %v, want %v", got, want)
			}
			if next := awaitParked(t, d, spec); next == parked {
				t.Fatal("the taken sandbox is still listed as parked")
			}
			serveEcho(t, second)
			// A sandbox of another kind has its own.
			other := sandbox.Spec{Runtime: sandbox.RuntimePython, MemoryMB: 192}
			if inst := d.takeParked(other.WithDefaults()); inst != nil {
				t.Fatalf("a %d MB Create would take the parked %d MB sandbox", other.MemoryMB, inst.spec.MemoryMB)
			}
		})
	}
}

// TestParkedSandboxHoldsItsLimits: a sandbox started in a parked one is
// held to the memory limit of its Spec.
func TestParkedSandboxHoldsItsLimits(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{NoSnapshots: true})
	ctx := context.Background()
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython, MemoryMB: 64}
	inst := createParked(t, d, spec, parkOne(t, d, spec))
	code := "def handler(e, c):\n    b = []\n    while True:\n        b.append(bytearray(16 << 20))\n"
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), "main.py"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Invoke(ctx, sandbox.Request{ID: "r", Event: []byte(`{}`), Deadline: time.Now().Add(20 * time.Second)}, nil)
	if err != nil || res.Reason != sandbox.ReasonOutOfMemory {
		t.Fatalf("a 64 MB sandbox allocating without end: %+v %v, want reason %s", res, err, sandbox.ReasonOutOfMemory)
	}
}

// TestDeadParkedSandbox: a Create whose parked sandbox died starts a new
// one.
func TestDeadParkedSandbox(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{NoSnapshots: true})
	ctx := context.Background()
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	parked := parkOne(t, d, spec)
	parked.kill(nil)
	if err := parked.waitGone(ctx); err != nil {
		t.Fatal(err)
	}
	inst, err := d.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Destroy(ctx)
	if inst.ID() == parked.id {
		t.Fatal("Create returned the dead parked sandbox")
	}
	serveEcho(t, inst)
	if _, err := os.Stat(parked.bundle); !os.IsNotExist(err) {
		t.Errorf("the dead parked sandbox's bundle is left: %v", err)
	}
}

// TestParkedSandboxesAreDestroyed: a parked sandbox is destroyed when it
// expires and when the driver closes, leaving no process, cgroup or bundle.
func TestParkedSandboxesAreDestroyed(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{NoSnapshots: true})
	gone := func(inst *instance) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			_, bundleErr := os.Stat(inst.bundle)
			_, cgErr := os.Stat(inst.cgroupDir())
			inst.pidMu.Lock()
			alive := inst.pidfd >= 0 && unix.PidfdSendSignal(inst.pidfd, 0, nil, 0) == nil
			inst.pidMu.Unlock()
			if os.IsNotExist(bundleErr) && os.IsNotExist(cgErr) && !alive {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("parked sandbox %s not destroyed: bundle %v, cgroup %v, alive %v", inst.id, bundleErr, cgErr, alive)
			}
		}
	}
	d.tplMu.Lock()
	d.parkedTTL = 300 * time.Millisecond
	d.tplMu.Unlock()
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	gone(parkOne(t, d, spec))

	d.tplMu.Lock()
	d.parkedTTL = defaultParkedTTL
	d.tplMu.Unlock()
	parked := parkOne(t, d, spec)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	gone(parked)
}
