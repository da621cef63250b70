//go:build linux

package linuxns

import (
	"sync/atomic"

	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
)

var hookCalled atomic.Bool

// Reexec runs the sandbox spawner when this process is one, and reports
// false otherwise. main() — and the TestMain of every test package that
// creates linuxns instances — must call it first, before flags, config or
// logging: without a standalone spawner (Options.Init) the driver starts
// the spawner by re-executing /proc/self/exe, and without the hook the
// child would run the server instead. When it is the spawner, Reexec never
// returns.
func Reexec() bool {
	hookCalled.Store(true)
	return nsinit.Reexec()
}
