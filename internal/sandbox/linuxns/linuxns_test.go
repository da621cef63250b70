//go:build linux

package linuxns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
)

// newTestDriver returns an available driver with the sandbox init the
// server embeds, or skips saying why. On CI (CI=true) a root host with
// cgroups must run the suite: there an unavailable driver is a failure,
// not a skip.
func newTestDriver(t *testing.T) *Driver {
	t.Helper()
	nsInit, err := sandboxtest.BuildNSInit()
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{StateDir: t.TempDir(), Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), NSInit: nsInit})
	if err := d.Available(); err != nil {
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 && hostHasCgroups() {
			t.Fatalf("CI runs as root on a host with cgroups, so the linuxns suite must run: %v", err)
		}
		t.Skipf("linuxns sandbox unavailable here: %v", err)
	}
	return d
}

func hostHasCgroups() bool {
	_, v1 := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes")
	_, v2 := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return v1 == nil || v2 == nil
}

func TestSuite(t *testing.T) {
	sandboxtest.Run(t, newTestDriver(t))
}

// incrementCode returns a code directory, readable by the sandbox, with a
// Node handler index.handler that returns its event's n plus one.
func incrementCode(t *testing.T) string {
	t.Helper()
	code := t.TempDir()
	if err := os.Chmod(code, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(code, "index.js"), []byte(`exports.handler = async (e) => e.n + 1;`), 0o644); err != nil {
		t.Fatal(err)
	}
	return code
}

// TestInitIsSmall: the init holds little memory: every idle instance
// keeps one. The C init holds ~60 KiB (a Go init held ~700).
func TestInitIsSmall(t *testing.T) {
	d := newTestDriver(t)
	inst, err := d.Create(t.Context(), sandbox.Spec{Runtime: sandbox.RuntimePython})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Destroy(context.Background())
	// Its code is one memory file shared by every instance; what each
	// instance adds is its anonymous memory.
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", inst.(*instance).proc.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var anonKB int
	for line := range strings.Lines(string(status)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "RssAnon:" {
			anonKB, _ = strconv.Atoi(f[1])
		}
	}
	t.Logf("init anon %d KiB", anonKB)
	if anonKB == 0 || anonKB > 128 {
		t.Fatalf("the sandbox init holds %d KiB of anonymous memory; want 1..128", anonKB)
	}
}

// TestStandbyActivates: the kernel takes a standby sandbox's low CPU weight
// and, on Activate, the normal one back; the sandbox serves either way.
func TestStandbyActivates(t *testing.T) {
	d := newTestDriver(t)
	inst, err := d.Create(t.Context(), sandbox.Spec{Runtime: sandbox.RuntimePython, Standby: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Destroy(context.Background())
	file, low, normal := "cpu.weight", cpuWeightStandby, cpuWeightNormal
	dir := cgroupDirs(inst.(*instance))[0]
	if g, ok := inst.(*instance).cg.(*groupV1); ok {
		file, low, normal, dir = "cpu.shares", cpuSharesStandby, cpuSharesNormal, g.dirs["cpu"]
	}
	weight := func() string {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if got := weight(); got != low {
		t.Fatalf("standby %s = %s, want %s", file, got, low)
	}
	if err := inst.(sandbox.Activator).Activate(); err != nil {
		t.Fatal(err)
	}
	if got := weight(); got != normal {
		t.Fatalf("activated %s = %s, want %s", file, got, normal)
	}
	code := "def handler(event, context):\n    return event['x'] + 1\n"
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), "index.py"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(t.Context(), sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Invoke(t.Context(), sandbox.Request{ID: "a", Event: []byte(`{"x":1}`), Deadline: time.Now().Add(5 * time.Second)}, nil)
	if err != nil || string(res.Payload) != "2" {
		t.Fatalf("invoke: %s %v", res.Payload, err)
	}
}

// TestDestroyReleasesEverything checks what the generic suite cannot see:
// the instance's cgroups and private code dir are gone after Destroy, even
// after the instance died from its memory limit.
func TestDestroyReleasesEverything(t *testing.T) {
	t.Parallel()
	d := newTestDriver(t)
	ctx := context.Background()
	inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimeNode, MemoryMB: 48})
	if err != nil {
		t.Fatal(err)
	}
	li := inst.(*instance)
	dirs := cgroupDirs(li)
	if len(dirs) == 0 {
		t.Fatal("no cgroup directories")
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("cgroup %s: %v", dir, err)
		}
	}
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), "index.js"), []byte("exports.handler = () => { const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1)); };"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
		t.Fatal(err)
	}
	res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Deadline: time.Now().Add(10 * time.Second)}, nil)
	if err != nil || res.Reason != sandbox.ReasonOutOfMemory {
		t.Fatalf("got %+v %v", res, err)
	}
	for range 2 {
		if err := inst.Destroy(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range append(dirs, inst.CodeDir()) {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s survived Destroy: %v", dir, err)
		}
	}
}

func cgroupDirs(i *instance) []string {
	switch g := i.cg.(type) {
	case *groupV1:
		var out []string
		for _, d := range g.dirs {
			out = append(out, d)
		}
		return out
	case *groupV2:
		return []string{g.dir}
	}
	return nil
}

// TestFailedCreateLeavesNothing: a Create that fails half-way (here: its
// context is cancelled while the runtime starts) releases its process,
// cgroups and private code dir before returning.
func TestFailedCreateLeavesNothing(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.DebugLevel)
	state := t.TempDir()
	nsInit, err := sandboxtest.BuildNSInit()
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{StateDir: state, Logger: zap.New(core), NSInit: nsInit})
	if err := d.Available(); err != nil {
		newTestDriver(t) // skips or fails with the reason
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Millisecond)
	defer cancel()
	if inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimeNode}); err == nil {
		_ = inst.Destroy(context.Background())
		t.Skip("the runtime started within 3 ms; nothing failed")
	}
	failed := logs.FilterMessage("sandbox start failed").All()
	if len(failed) != 1 {
		t.Fatalf("want one start failure logged, got %d", len(failed))
	}
	id := failed[0].ContextMap()["instance"].(string)
	for _, dir := range cgroupPaths(d, id) {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left behind: %v", dir, err)
		}
	}
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("state dir not empty: %v", entries)
	}
	if pids := procsWith(id); len(pids) != 0 {
		t.Errorf("processes left behind: %v", pids)
	}
	private := t.TempDir()
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	inst, err := d.Create(context.Background(), sandbox.Spec{Runtime: sandbox.RuntimeNode, CodeDir: private})
	if err == nil {
		_ = inst.Destroy(context.Background())
	}
	if !errors.Is(err, sandbox.ErrInvalidSpec) {
		t.Errorf("create with a 0700 code dir: got %v, want ErrInvalidSpec", err)
	}
}

// cgroupPaths returns the directories instance id's cgroups would have.
func cgroupPaths(d *Driver, id string) []string {
	switch m := d.cg.(type) {
	case *cgroupV1:
		var dirs []string
		for _, p := range m.parents {
			dirs = append(dirs, filepath.Join(p, id))
		}
		return dirs
	case *cgroupV2:
		return []string{filepath.Join(m.parent, id)}
	}
	return nil
}
