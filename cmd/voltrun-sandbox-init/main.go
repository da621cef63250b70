// Command voltrun-sandbox-init is PID 1 of every sandbox, linuxns or
// gvisor. The server embeds it (built with the sandboxinit tag, see the
// Makefile): linuxns executes it from a sealed memory file, gvisor puts it
// in each sandbox's read-only /opt/voltrun. A sandbox thus starts a small
// program instead of the whole server: tens of milliseconds of package
// initialisation less per cold start. It imports only the drivers' init
// packages, which link no logger, HTTP or seccomp assembler: every idle
// instance keeps its init, and with it whatever the binary initialises.
package main

import (
	"fmt"
	"os"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
)

func main() {
	if !nsinit.Reexec() && !gvinit.Reexec() {
		fmt.Fprintln(os.Stderr, "voltrun-sandbox-init is started by the VoltRun server inside a new sandbox; it is not run by hand")
		os.Exit(2)
	}
}
