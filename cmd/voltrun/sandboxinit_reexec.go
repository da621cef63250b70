//go:build !sandboxinit

package main

// sandboxInit is nil in a build without the sandboxinit tag (a plain `go
// build` or `go test`): the linuxns driver then re-executes this binary as
// the sandbox init, which works but starts slower and holds more memory.
var sandboxInit []byte
