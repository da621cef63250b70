// Package initproc is what the sandbox drivers' inits share: reporting a
// failure to the host, dropping the capability bounding set, and loading
// the seccomp filter the host assembled.
//
// Every idle instance keeps its init process, and with it everything the
// init binary links and initialises, so this package and the drivers'
// init packages (linuxns/nsinit, gvisor/gvinit) import little: no logger,
// no HTTP, no seccomp assembler.
package initproc
