//go:build linux

package gvisor

import (
	"sync/atomic"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

var hookCalled atomic.Bool

// Reexec runs the sandbox init when this process is one, and reports false
// otherwise. main() — and the TestMain of every test package that creates
// gvisor instances — must call it first, before flags, config or logging:
// without a standalone init (Options.Init) every gVisor sandbox starts this
// binary as its PID 1, and without the hook it would run the server
// instead. When it is the init, Reexec never returns.
func Reexec() bool {
	hookCalled.Store(true)
	return gvinit.Reexec()
}
