// Package nsinit is the Go side of the linuxns sandbox's init: the
// configuration the host sends the init (cmd/voltrun-nsinit, a static C
// program, PID 1 of each sandbox's namespaces), with the layout of the
// sandbox's root decided here, and the spawner that forks each init for the
// server. The spawner runs from the standalone init binary
// (cmd/voltrun-sandbox-init), apart from the driver so that it links only
// what it runs.
package nsinit
