// Package nsinit is the linuxns sandbox's init, PID 1 of each sandbox's
// namespaces: it builds the read-only root, locks the process down, starts
// the runtime as an unprivileged user and reaps until it exits (see package
// linuxns for the whole picture). The same binary, started another way, is
// the spawner that forks each init for the server. It is apart from the
// driver so that the standalone init binary links only what it runs: every
// idle instance keeps an init process, and pays for everything that binary
// initialises.
package nsinit
