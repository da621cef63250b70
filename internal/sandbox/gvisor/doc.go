// Package gvisor is VoltRun's gVisor sandbox driver: each instance is one
// runsc sandbox (one OCI container), so the function talks to gVisor's
// user-space kernel (the sentry), never to the host's. It needs root, a
// static runsc (scripts/install-runsc.sh) and the re-exec hook: main() must
// call Reexec first, as for linuxns.
//
// # Process tree and descriptors
//
//	server ──runsc run/restore/create──▶ runsc sandbox (the sentry) + gofer, on the host
//	                                └─ inside: init = Options.Init or this binary (PID 1, root of the sentry only)
//	                                     └─▶ node / python3 bootstrap (uid 1000)
//	                                          └─▶ whatever the function spawns
//
// The container's stdio are three host pipes: fd 0 carries requests, fd 1
// responses, fd 2 the runtime's stdout and stderr multiplexed by the init
// (gvinit.MuxWriter) and finally its exit status. Only stdio survive a checkpoint:
// runsc re-maps them to the restoring process's stdio, and has no --pass-fd
// for restore. The init gives the runtime fds 3 and 4 as duplicates of its
// fds 0 and 1, so the bootstraps' protocol (internal/runtime) is unchanged
// and the hot path has no relay; only logs go through the init.
//
// # Lifecycle
//
// Create writes an OCI bundle (bundle.go) and runs "runsc run --detach";
// the init makes sure loopback has no address, empties the capability
// bounding set, installs seccomp, starts the runtime as uid 1000, drops itself to uid 65534 and
// relays output. Create returns on the bootstrap's ready frame. Load,
// Invoke and the framing are runtime.Client's. A deadline, an abort or
// Destroy SIGKILLs the sandbox process through a pidfd, which ends every
// task in it and closes its pipes at once. Destroy then runs "runsc delete
// --force" (runsc state, cgroups, the gofer) and removes the bundle.
//
// With snapshots (Options.SnapshotRuntimes), the first Create for a template
// key boots an instance that has just sent its ready frame (no code, no env,
// no secrets), checkpoints it ("runsc checkpoint"), and every Create for that
// key runs "runsc restore --detach" from the image with fresh pipes. The
// code directory is a bind mount re-opened on restore, so a restored
// instance still loads its own code. A restore is used only while it
// measures faster than a boot for that key (startStats, snapshot.go):
// a restore has a fixed cost (the kernel's state and its start), which a
// slow boot recovers and a fast one may not. Options.AlwaysRestore
// restores regardless.
//
// Most of a start is the same whatever the sandbox then runs: the sandbox
// process, the gofer and the cgroups (~80 ms of "runsc create" on a 2-core
// host). So each Create of an instance with a private code dir parks a
// sandbox of its kind (runtime and limits) in the background, created and
// waiting, and the next Create of that kind runs "runsc start" or "runsc
// restore" into it (parked.go): about half of a restore or a boot is off
// the Create's path. One parked sandbox per kind, at most four kinds,
// ~12 MB each, destroyed after ten unused minutes and by Close.
//
// Function images (sandbox.LoadedSnapshots, loaded.go) go one step further
// for functions whose init is slow: the engine asks for one after a load
// that took Options.SnapshotAfter or longer, and the driver builds it in the
// background from a fresh instance that loads the function and is
// checkpointed before any call. Later instances of that function version
// are restored already loaded, with the code written into their own code
// dir first, and the host sends the runtime a seed frame so that Python's
// random module does not repeat across them. One image is kept per function
// version (a new configuration replaces it; the engine drops it when the
// version changes or is deleted), at most 32 in all.
//
// # Limits and what enforces them
//
//   - memory: the sandbox's host cgroup (set by runsc from the OCI spec)
//     holds the sentry too, so its limit is Spec.MemoryMB plus
//     Options.MemoryOverheadMB plus Options.TaskOverheadMB per allowed task.
//     Past it the host OOM killer ends the whole sandbox: out_of_memory,
//     read from the cgroup's oom_kill counter.
//   - processes and threads: Spec.MaxProcs as RLIMIT_NPROC, which the
//     sentry enforces per uid on every task it creates (fork and thread
//     creation fail with EAGAIN). The host cgroup's pids.max is only a
//     generous backstop (4×MaxProcs+256): gVisor counts its own threads and
//     stub processes there and crashes at a small limit.
//   - CPU: the host cgroup's CFS quota (Spec.CPUShare).
//   - /tmp: a tmpfs of Spec.TmpSizeMB inside the sentry; the root (a shared
//     skeleton with /usr, the code and the bootstraps bound read-only and a
//     synthesized /etc) is read-only; /sys is an empty read-only tmpfs.
//   - network: the sandbox runs in the driver's network namespace, whose
//     only device is lo without addresses (netns.go); runsc mirrors it, so
//     every connect fails with ENETUNREACH, after a boot and a restore alike.
//   - identity: uid 1000, no capabilities, no_new_privs, linuxns's seccomp
//     deny-list (package seccompfilter); the init is another uid, so the
//     function can neither signal nor trace it.
//
// # Known limits
//
//   - Snapshots share whatever randomness the runtime seeded before the
//     checkpoint. Measured: instances restored from one Node image return
//     the same crypto.randomBytes, randomUUID, getRandomValues and
//     Math.random values (OpenSSL's DRBG and V8's state are in the image),
//     so Node is not in DefaultSnapshotRuntimes. Python's random, os.urandom,
//     uuid and secrets are fresh (the bootstrap imports no random module
//     before the checkpoint); its str hash secret is shared by every
//     instance restored from one image.
//   - gVisor breaks copy-on-write in 2 MB units: a forked process costs
//     several MB more than under Linux (hence TaskOverheadMB).
//   - The process limit's refusals are not visible to the host, so a runtime
//     that crashes after one is reported as a crash, not pids_limit.
//   - runsc run/restore --detach and runsc create leave the sandbox process
//     to the host's init (or subreaper) to reap.
//   - The parked sandboxes are not in the engine's pool memory budget.
//   - Images live in the state directory, one per template key and one
//     per imaged function version, until Close; they are rebuilt after a
//     restart. A function's image holds its environment variables, as
//     its instances' memory does.
//   - An instance restored from a function image does not replay what the
//     init printed, and module-level random.Random instances other than
//     the random module's own keep the image's state.
package gvisor
