// Command voltrun-sandbox-init is PID 1 of every linuxns sandbox. The
// server embeds it (built with the sandboxinit tag, see the Makefile) and
// executes it from a sealed memory file, so a sandbox starts a 4 MiB
// program instead of re-executing the whole server: its package init is
// the server's minus tens of milliseconds, and an idle instance's init
// holds about 1 MiB instead of 4.5.
package main

import (
	"fmt"
	"os"

	"github.com/voltrun/voltrun/internal/sandbox/linuxns"
)

func main() {
	if !linuxns.Reexec() {
		fmt.Fprintln(os.Stderr, "voltrun-sandbox-init is started by the VoltRun server inside a new sandbox; it is not run by hand")
		os.Exit(2)
	}
}
