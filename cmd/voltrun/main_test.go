package main

import (
	"os"
	"testing"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns"
)

// TestMain lets this test binary serve as a gvisor sandbox's init, as main
// does: the servers these tests start run functions in real sandboxes.
func TestMain(m *testing.M) {
	if gvisor.Reexec() {
		return
	}
	// A test can run this binary as a real server process (startProcess):
	// it is then main, with the arguments it was given.
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// requireSandbox skips t, saying why, when this host cannot run the linuxns
// sandbox, except under CI=true, where that is a failure.
func requireSandbox(t testing.TB) {
	t.Helper()
	err := linuxns.New(linuxns.Options{NSInit: nsInit}).Available()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but the linuxns sandbox cannot run here: %v", err)
	}
	t.Skipf("the linuxns sandbox cannot run here: %v", err)
}
