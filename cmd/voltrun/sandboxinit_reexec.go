//go:build !sandboxinit

package main

// Without the sandboxinit tag (a plain `go build` or `go test`) the
// sandbox inits are not embedded: the linuxns driver, which needs nsInit,
// reports itself unavailable and says to build with make, and the gvisor
// driver re-executes this binary as its init.
var sandboxInit, nsInit []byte
