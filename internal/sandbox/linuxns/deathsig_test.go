//go:build linux

package linuxns

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

const helperEnv = "VOLTRUN_TEST_HELPER_SERVER"

// TestServerDeathKillsSandboxes: when the server dies without cleaning up
// (SIGKILL, crash), its sandboxes die with it (Pdeathsig on the init), so no
// user process outlives the server.
func TestServerDeathKillsSandboxes(t *testing.T) {
	if nonce := os.Getenv(helperEnv); nonce != "" {
		helperServer(t, nonce)
		return
	}
	newTestDriver(t) // skip where unavailable
	nonce := "deathsig-" + newID()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerDeathKillsSandboxes$")
	cmd.Env = append(os.Environ(), helperEnv+"="+nonce)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var id string
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if id != "" {
			// The dead server could not remove its instance's cgroups; a
			// restarted one would (after staleAge). Leave the host clean.
			removeOrphanCgroups(t, id)
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "HELPER READY "); ok {
				ready <- id
				return
			}
		}
		ready <- ""
	}()
	select {
	case id = <-ready:
		if id == "" {
			t.Fatal("helper server exited before its sandbox was ready")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("helper server not ready")
	}
	// The handler's child may still be starting on a loaded machine.
	for wait := time.Now().Add(5 * time.Second); len(procsWith(nonce)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(wait) {
			t.Fatal("the sandboxed process is not running")
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for len(procsWith(nonce)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("sandbox processes outlived the server: %v", procsWith(nonce))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func removeOrphanCgroups(t *testing.T, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, dir := range cgroupPaths(newTestDriver(t), id) {
		if err := removeDir(ctx, dir); err != nil {
			t.Errorf("orphan cgroup: %v", err)
		}
	}
}

// helperServer runs in the child: one sandbox with a long-lived process.
func helperServer(t *testing.T, nonce string) {
	d := newTestDriver(t)
	ctx := context.Background()
	inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimePython})
	if err != nil {
		t.Fatal(err)
	}
	code := "import subprocess\ndef handler(e, c):\n    subprocess.Popen(['/bin/sh', '-c', 'sleep 300; :', e['nonce']])\n    return 'ok'\n"
	if err := os.WriteFile(filepath.Join(inst.CodeDir(), "main.py"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
		t.Fatal(err)
	}
	if res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Event: []byte(`{"nonce":"` + nonce + `"}`)}, nil); err != nil || res.Status != sandbox.StatusSucceeded {
		t.Fatalf("%+v %v", res, err)
	}
	os.Stdout.WriteString("HELPER READY " + inst.ID() + "\n")
	time.Sleep(time.Minute) // killed by the parent long before
}

func procsWith(s string) []string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var out []string
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "cmdline")); err == nil && bytes.Contains(b, []byte(s)) && !bytes.Contains(b, []byte("-test.run")) {
			out = append(out, filepath.Base(d))
		}
	}
	return out
}
