//go:build sandboxinit

package main

import _ "embed"

// sandboxInit is cmd/voltrun-sandbox-init (the gvisor init) and nsInit
// cmd/voltrun-nsinit (the linuxns spawner and init), built for this
// binary's architecture by `make` before the build that embeds them.
var (
	//go:embed sandboxinit/voltrun-sandbox-init
	sandboxInit []byte
	//go:embed sandboxinit/voltrun-nsinit
	nsInit []byte
)
