package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor"
)

// TestServerOnGVisor: the server runs functions in gVisor when asked to,
// says so in /health, and leaves no sandbox running once it stops (not
// even the one its driver keeps parked).
func TestServerOnGVisor(t *testing.T) {
	probe := gvisor.New(gvisor.Options{StateDir: t.TempDir()})
	err := probe.Available()
	_ = probe.Close()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the gvisor driver cannot run here (.ci/run installs runsc): %v", err)
		}
		t.Skipf("the gvisor driver cannot run here: %v", err)
	}
	s := startServer(t, "", "", map[string]string{"VOLTRUN_SANDBOX": "gvisor"})
	if got := s.do("GET", "/health", nil).json(t)["checks"].(map[string]any)["sandbox"]; got != "gvisor" {
		t.Fatalf("health reports sandbox %v", got)
	}
	auth := bearer(s.register("gv@example.com"))
	s.deploy(auth, map[string]any{"name": "gv-node", "runtime": "nodejs", "code": nodeEcho, "env": map[string]string{"GREETING": "hi"}})
	s.deploy(auth, map[string]any{"name": "gv-py", "runtime": "python", "code": pythonEcho, "env": map[string]string{"GREETING": "hi"}})
	for _, name := range []string{"gv-node", "gv-py"} {
		for range 2 {
			res := s.invoke(auth, name, map[string]any{"n": 7})
			if res["status"] != "succeeded" || res["result"].(map[string]any)["env"] != "hi" {
				t.Fatalf("%s on gvisor: %v", name, res)
			}
		}
	}
	s.stop()
	root := filepath.Join(s.dataDir, "gvisor")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), root) {
			t.Errorf("%s still runs after the server stopped: %q", filepath.Dir(p), strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
}
