//go:build linux

package gvisor

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) {
	// Every sandbox starts this test binary as its init.
	if Reexec() {
		return
	}
	os.Exit(m.Run())
}

// newTestDriver returns an available driver running the standalone init,
// or skips saying why. On CI
// (CI=true) a root host with runsc installed must run the suite: there an
// unavailable driver is a failure, not a skip.
func newTestDriver(t testing.TB, opts Options) *Driver {
	t.Helper()
	return newDriver(t, opts, true)
}

// newDriver is newTestDriver; standalone false leaves Options.Init nil, so
// the driver copies this test binary as the init.
func newDriver(t testing.TB, opts Options, standalone bool) *Driver {
	t.Helper()
	if opts.StateDir == "" {
		opts.StateDir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	if standalone {
		init, err := sandboxtest.BuildInit()
		if err != nil {
			t.Fatal(err)
		}
		opts.Init = init
	}
	d := New(opts)
	if err := d.Available(); err != nil {
		_, missing := findRunsc(opts.RunscPath)
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 && missing == nil {
			t.Fatalf("CI runs as root with runsc installed, so the gvisor suite must run: %v", err)
		}
		t.Skipf("gvisor sandbox unavailable here: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// TestSuite runs the conformance and containment suite on booted instances.
func TestSuite(t *testing.T) {
	sandboxtest.Run(t, newTestDriver(t, Options{NoSnapshots: true}))
}

// TestSuiteSnapshots runs it again with every instance restored from a
// snapshot, for both runtimes.
func TestSuiteSnapshots(t *testing.T) {
	d := newTestDriver(t, Options{SnapshotRuntimes: []string{sandbox.RuntimeNode, sandbox.RuntimePython}, AlwaysRestore: true})
	sandboxtest.Run(t, restoredOnly{d})
}

// restoredOnly fails any Create that boots instead of restoring.
type restoredOnly struct{ *Driver }

func (r restoredOnly) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	inst, err := r.Driver.Create(ctx, spec)
	if err == nil && !inst.(*instance).restored {
		_ = inst.Destroy(ctx)
		return nil, errors.New("instance was booted, not restored from a snapshot")
	}
	return inst, err
}

// TestReexecInit: without a standalone init the driver copies the binary
// it runs in as the init, and instances work the same.
func TestReexecInit(t *testing.T) {
	t.Parallel()
	d := newDriver(t, Options{NoSnapshots: true}, false)
	ctx := context.Background()
	inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimePython})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Destroy(ctx)
	serveEcho(t, inst)
}

// TestDestroyReleasesEverything checks what the generic suite cannot see:
// runsc's container, the cgroup, the bundle and the private code dir are
// gone after Destroy, even after the instance died from its memory limit.
func TestDestroyReleasesEverything(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{NoSnapshots: true})
	ctx := context.Background()
	inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimePython, MemoryMB: 48})
	if err != nil {
		t.Fatal(err)
	}
	gi := inst.(*instance)
	cg := gi.cgroupDir()
	if len(gi.Procs()) == 0 {
		t.Fatalf("no processes in %s", cg)
	}
	code := "def handler(e, c):\n    a = []\n    while True:\n        a.append(b'x' * (1 << 20))\n"
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), "main.py"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Deadline: time.Now().Add(20 * time.Second)}, nil)
	if err != nil || res.Reason != sandbox.ReasonOutOfMemory {
		t.Fatalf("got %+v %v", res, err)
	}
	for range 2 {
		if err := inst.Destroy(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{cg, gi.bundle, inst.CodeDir(), filepath.Join(d.host.rs.root, gi.id)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived Destroy: %v", p, err)
		}
	}
	if out, err := d.host.rs.command(ctx, "", "state", gi.id).CombinedOutput(); err == nil {
		t.Errorf("runsc still knows the container: %s", out)
	}
}

// TestFailedCreateLeavesNothing: a Create that fails half-way (its context
// expires while runsc starts the sandbox) leaves no container, process,
// cgroup or bundle behind.
func TestFailedCreateLeavesNothing(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.DebugLevel)
	d := newTestDriver(t, Options{NoSnapshots: true, Logger: zap.New(core)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimeNode}); err == nil {
		_ = inst.Destroy(context.Background())
		t.Skip("the sandbox started within 30 ms; nothing failed")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("create: got %v, want a wrapped context.DeadlineExceeded", err)
	}
	failed := logs.FilterMessage("sandbox start failed").All()
	if len(failed) != 1 {
		t.Fatalf("want one start failure logged, got %d", len(failed))
	}
	id := failed[0].ContextMap()["instance"].(string)
	if _, err := os.Stat(filepath.Join(d.host.inst, id)); !os.IsNotExist(err) {
		t.Errorf("bundle left behind: %v", err)
	}
	out, err := d.host.rs.command(context.Background(), "", "list", "--quiet").Output()
	if err != nil || strings.Contains(string(out), id) {
		t.Errorf("runsc still lists the container: %q %v", out, err)
	}
	if groups, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", d.opts.CgroupParent, id)); len(groups) != 0 {
		t.Errorf("cgroups left behind: %v", groups)
	}
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	inst, err := d.Create(context.Background(), sandbox.Spec{Runtime: sandbox.RuntimePython, CodeDir: private})
	if err == nil {
		_ = inst.Destroy(context.Background())
	}
	if !errors.Is(err, sandbox.ErrInvalidSpec) {
		t.Errorf("create with a 0700 code dir: got %v, want ErrInvalidSpec", err)
	}
}

// TestSnapshotRandomness restores three instances per runtime from one
// image and compares what their random sources return. Python's must all
// differ. Node's repeat (OpenSSL's DRBG and V8's Math.random state are in
// the image), which is why Node is not restored from snapshots by default:
// this test fails if Node joins DefaultSnapshotRuntimes before its
// bootstrap re-seeds after a restore.
func TestSnapshotRandomness(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{SnapshotRuntimes: []string{sandbox.RuntimeNode, sandbox.RuntimePython}, AlwaysRestore: true})
	for _, tc := range []struct {
		rt, file, code, handler string
		fresh                   []string // values that must differ between instances
	}{
		{
			sandbox.RuntimeNode, "index.js", `const c = require("crypto");
exports.handler = async () => ({ bytes: c.randomBytes(8).toString("hex"), uuid: c.randomUUID(), math: String(Math.random()) });`,
			"index.handler", nil,
		},
		{sandbox.RuntimePython, "main.py", `import os, random, uuid, secrets
def handler(e, c):
    return {"random": str(random.random()), "urandom": os.urandom(8).hex(), "uuid": str(uuid.uuid4()), "secrets": secrets.token_hex(8)}
`, "main.handler", []string{"random", "urandom", "uuid", "secrets"}},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			seen := map[string]map[string]bool{}
			for range 3 {
				var got map[string]string
				runOnce(t, d, sandbox.Spec{Runtime: tc.rt}, tc.file, tc.code, tc.handler, &got)
				for k, v := range got {
					if seen[k] == nil {
						seen[k] = map[string]bool{}
					}
					seen[k][v] = true
				}
			}
			repeats := []string{}
			for k, vals := range seen {
				if len(vals) < 3 {
					repeats = append(repeats, k)
				}
			}
			for _, k := range tc.fresh {
				if len(seen[k]) != 3 {
					t.Errorf("%s repeats across restored instances: %v", k, seen[k])
				}
			}
			if len(repeats) > 0 {
				t.Logf("repeat across instances restored from one image: %v", repeats)
				if slices.Contains(DefaultSnapshotRuntimes, tc.rt) {
					t.Errorf("%s is restored from snapshots by default, but %v repeat across instances", tc.rt, repeats)
				}
			}
		})
	}
}

// runOnce creates a (restored) instance, loads code and decodes one call's
// result into out.
func runOnce(t *testing.T, d *Driver, spec sandbox.Spec, file, code, handler string, out any) {
	t.Helper()
	ctx := context.Background()
	inst, err := d.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := inst.Destroy(ctx); err != nil {
			t.Error(err)
		}
	}()
	if !inst.(*instance).restored {
		t.Fatal("the instance was booted, not restored")
	}
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), file), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: handler}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Deadline: time.Now().Add(10 * time.Second)}, nil)
	if err != nil || res.Status != sandbox.StatusSucceeded {
		t.Fatalf("%+v %v", res, err)
	}
	if err := json.Unmarshal(res.Payload, out); err != nil {
		t.Fatal(err)
	}
}

// TestCreateCancelled: a Create whose ctx ends at any point of a boot,
// including while it waits for the runtime's ready frame, returns promptly
// and leaves no instance behind but the sandbox parked for the next.
func TestCreateCancelled(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t, Options{NoSnapshots: true})
	for _, delay := range []time.Duration{20, 60, 100, 140, 200} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(delay*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() {
			inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimePython})
			if err == nil {
				err = inst.Destroy(context.Background())
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled after %v ms: %v", int(delay), err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Create cancelled after %v ms had not returned 30 s later", int(delay))
		}
		cancel()
	}
	parked := awaitParked(t, d, sandbox.Spec{Runtime: sandbox.RuntimePython})
	entries, err := os.ReadDir(d.host.inst)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != parked.id {
			t.Errorf("instance %s left behind", e.Name())
		}
	}
}
