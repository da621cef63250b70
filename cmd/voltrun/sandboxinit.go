//go:build sandboxinit

package main

import _ "embed"

// sandboxInit is cmd/voltrun-sandbox-init, built for this binary's
// architecture by `make` before the build that embeds it.
//
//go:embed sandboxinit/voltrun-sandbox-init
var sandboxInit []byte
