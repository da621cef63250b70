// Package gvinit is the gvisor sandbox's init, PID 1 inside each
// sandbox (root of the sentry only): it unplugs loopback, locks the process
// down, starts the runtime as an unprivileged user, relays its output onto
// the log stream (MuxWriter) and reaps until it exits (see package gvisor for
// the whole picture). It is apart from the driver so that the standalone
// init binary links only what it runs: every idle instance keeps an init
// process, and pays for everything that binary initialises.
package gvinit
