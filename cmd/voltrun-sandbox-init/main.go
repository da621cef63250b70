// Command voltrun-sandbox-init is the linuxns driver's spawner, which
// forks every linuxns sandbox's init (cmd/voltrun-nsinit), and PID 1 of
// every gvisor sandbox. The server embeds it (built with the sandboxinit
// tag, see the Makefile): linuxns executes it from a sealed memory file,
// gvisor puts it in each sandbox's read-only /opt/voltrun. Both thus start
// a small program instead of the whole server. It imports only the
// drivers' init packages, which link no logger, HTTP or seccomp
// assembler: every gvisor instance keeps its init, and with it whatever
// the binary initialises.
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
