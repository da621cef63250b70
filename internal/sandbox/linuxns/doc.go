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
// The spawner and the init are one static C program, cmd/voltrun-nsinit
// (Options.NSInit), that the server embeds and executes from a sealed
// memory file as the spawner, one per driver, started on first use and
// again if it exits. For each sandbox it clones a child with the new
// namespaces and CLONE_PARENT, so the init is the server's child: the
// server reaps it and it dies with the server. The child does not execute
// anything: it is the init. Cloning from a process of a few hundred KB
// rather than the server keeps a sandbox's start from growing with the
// server's memory (see spawner in spawn.go), and with no exec and no
// language runtime to start, the sandbox is ready to build its root
// moments after the clone. The init holds ~60 KiB per idle instance. What
// varies with the host and the instance it is told (nsinit.Config).
//
// The init joins the instance's cgroups (v1; on v2 it is cloned into its
// group), builds a read-only root (read-only binds of /usr and the code at
// /var/task, the bootstraps at /opt/voltrun, a synthesized /etc, a minimal
// /dev, a size-limited /tmp, a masked /proc), pivots into it, drops its
// bounding set, installs seccomp, starts the runtime as uid 1000 with no
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
//   - On cgroup v1 the init joins the instance's cgroups itself, as its
//     first step, so the few pages it touched before are charged to the
//     spawner's groups. On v2 it is cloned straight into the group.
package linuxns
