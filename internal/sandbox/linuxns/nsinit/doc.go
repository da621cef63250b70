// Package nsinit is the Go side of cmd/voltrun-nsinit, the static C
// program that spawns every linuxns sandbox and is PID 1 of each: the
// spawner's requests and replies, and the configuration the host sends
// each init, with the layout of the sandbox's root decided here.
package nsinit
