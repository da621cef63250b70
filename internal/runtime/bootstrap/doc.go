// Package bootstrap holds the Node.js and Python bootstraps (embedded in
// the binary and written read-only into every sandbox at Dir) and the
// command that starts each of them. It is a leaf package apart from
// internal/runtime, the host side of their protocol, because the standalone
// sandbox init links it: whatever the init links is paid for in every idle
// instance.
package bootstrap
