// Command voltrun-sandbox-init is PID 1 of every gvisor sandbox. The
// server embeds it (built with the sandboxinit tag, see the Makefile) and
// the gvisor driver puts it in each sandbox's read-only /opt/voltrun, so a
// sandbox starts a small program instead of the whole server. It imports
// only gvisor's init package, which links no logger, HTTP or seccomp
// assembler: every instance keeps its init, and with it whatever the
// binary initialises. (linuxns sandboxes start from cmd/voltrun-nsinit.)
package main

import (
	"fmt"
	"os"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

func main() {
	if !gvinit.Reexec() {
		fmt.Fprintln(os.Stderr, "voltrun-sandbox-init is started by the VoltRun server inside a new sandbox; it is not run by hand")
		os.Exit(2)
	}
}
