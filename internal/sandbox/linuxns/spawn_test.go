//go:build linux

package linuxns

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// TestSpawnerDeathSparesInstances: the spawner starts every init as this
// process's child (CLONE_PARENT), so killing the spawner leaves running
// instances serving, and the next Create starts a new spawner.
func TestSpawnerDeathSparesInstances(t *testing.T) {
	d := newTestDriver(t)
	code := incrementCode(t)
	ctx := t.Context()
	call := func(inst sandbox.Instance, n int) {
		t.Helper()
		res, err := inst.Invoke(ctx, sandbox.Request{ID: strconv.Itoa(n), Event: fmt.Appendf(nil, `{"n":%d}`, n), Deadline: time.Now().Add(5 * time.Second)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded || string(res.Payload) != strconv.Itoa(n+1) {
			t.Fatalf("call %d: %+v %v", n, res, err)
		}
	}
	start := func() sandbox.Instance {
		t.Helper()
		inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimeNode, CodeDir: code})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = inst.Destroy(context.Background()) })
		if err := inst.Load(ctx, sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
			t.Fatal(err)
		}
		if ppid := parentOf(t, inst.(*instance).proc.Pid); ppid != os.Getpid() {
			t.Fatalf("the init's parent is %d, want this process (%d)", ppid, os.Getpid())
		}
		return inst
	}
	first := start()
	call(first, 1)

	d.spawner.mu.Lock()
	old := d.spawner.cmd.Process
	d.spawner.mu.Unlock()
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); parentOf(t, old.Pid) == os.Getpid(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the killed spawner was not reaped")
		}
	}
	call(first, 2)

	second := start()
	call(second, 3)
	d.spawner.mu.Lock()
	restarted := d.spawner.cmd.Process.Pid
	d.spawner.mu.Unlock()
	if restarted == old.Pid {
		t.Fatal("the spawner was not restarted")
	}
}

// parentOf returns pid's parent, or 0 once pid is gone.
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// TestStuckSpawnerIsReplaced: a spawner that stops answering (here
// SIGSTOPped) fails the Create waiting on it after the spawner's timeout,
// not never, and is killed; the next Create starts a new one.
func TestStuckSpawnerIsReplaced(t *testing.T) {
	d := newTestDriver(t)
	d.spawner.timeout = 300 * time.Millisecond
	ctx := t.Context()
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
	first, err := d.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Destroy(context.Background()) })

	d.spawner.mu.Lock()
	stuck := d.spawner.cmd.Process
	d.spawner.mu.Unlock()
	if err := stuck.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if inst, err := d.Create(ctx, spec); err == nil {
		_ = inst.Destroy(context.Background())
		t.Fatal("a Create through a stopped spawner succeeded")
	} else if !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("Create through a stopped spawner: %v", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("the Create took %v to give up on a stopped spawner", took)
	}
	for deadline := time.Now().Add(5 * time.Second); parentOf(t, stuck.Pid) == os.Getpid(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stopped spawner was not killed")
		}
	}

	second, err := d.Create(ctx, spec)
	if err != nil {
		t.Fatalf("Create after replacing the spawner: %v", err)
	}
	_ = second.Destroy(context.Background())
}
