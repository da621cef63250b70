// Package linuxns is VoltRun's built-in sandbox driver: each instance is a
// process tree in its own user, PID, mount, network, IPC, UTS and cgroup
// namespaces, limited by cgroups (v2, or v1 on hybrid hosts) and locked down
// with an empty capability set, no_new_privs and a seccomp deny-list. It
// needs root on the host and no external tool.
//
// # Process tree
//
//	server ──▶ spawner ──(clone, new namespaces, CLONE_PARENT)──▶ init (PID 1)
//	                                     └─▶ node / python3 bootstrap (uid 1000)
//	                                          └─▶ whatever the function spawns
//
// The spawner is cmd/voltrun-sandbox-init run as nsinit.SpawnerArg0 (or,
// without Options.Init, this binary re-executed: main() must then call
// Reexec first), one per driver, started on first use and again if it
// exits. Forking from it rather than from the server keeps a sandbox's
// start from growing with the server's memory (nsinit.runSpawner says
// why); CLONE_PARENT keeps each init the server's child, so the server
// reaps it and it dies with the server.
//
// The init is Options.NSInit, cmd/voltrun-nsinit: a static C program that
// the server embeds and the spawner executes from a sealed memory file.
// It runs at every cold start and stays for the life of every instance, so
// it is small: it does without the ~4 ms a Go init spent starting its own
// runtime, and holds ~60 KiB instead of ~700. What varies with the host and
// the instance it is told (nsinit.Config).
//
// The init waits for the host to place it in the instance's cgroups, builds
// a read-only root (read-only binds of /usr and the code at /var/task, the
// bootstraps at /opt/voltrun, a synthesized /etc, a minimal /dev, a
// size-limited /tmp, a masked /proc), pivots into it, drops its bounding
// set, installs seccomp, starts the runtime as uid 1000 with no
// capabilities and a clean environment, drops itself to uid 65534, and
// reaps orphans. Killing it (timeout, Destroy) makes the kernel kill the
// whole namespace.
//
// # Host resources
//
// Per instance: one cgroup per controller under <hierarchy>/voltrun/<id>,
// four pipes, and, when Spec.CodeDir is empty, a directory under
// Options.StateDir. Destroy releases all of them; stale empty cgroups from a
// crashed server are removed when the driver first probes the host.
//
// # Known limits
//
//   - Networking is not provided: Spec.Network is refused with
//     sandbox.ErrUnsupported (the sandbox's network namespace has only a
//     loopback device, down). No snapshots either.
//   - Every sandbox uses the same host uid range (Options.UIDBase), so the
//     functions of all sandboxes share host uid UIDBase+1000. Namespaces keep
//     them from seeing or signalling each other; per-uid kernel limits
//     (inotify instances, for example) are shared.
//   - /proc/self/mountinfo shows the host path of the code directory and
//     the host's block device names (not their contents).
//   - On cgroup v1 only the init's forking thread joins the instance's
//     cgroups (which makes start-up ~10 ms faster); the init's own few MB
//     are charged to the server's groups. Everything the runtime starts is
//     inside. On v2 the init is cloned straight into the group.
package linuxns
