//go:build linux

package seccompfilter

import (
	"encoding/binary"
	"fmt"
	"sync"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// deniedSyscalls return EPERM. A deny-list (on top of no capabilities, no
// new privileges and an unprivileged uid) closes the kernel interfaces a
// function has no use for and that have a history of privilege-escalation
// bugs reachable from user namespaces: mounting, namespaces, keyrings, BPF,
// ptrace and cross-process memory access, io_uring, module loading; and
// the scheduling policy, which a sandbox could otherwise raise. Under
// gVisor the sentry already stands between the function and the host
// kernel; the same filter gives functions the same interface (EPERM, not
// an emulation) and is a second line behind the sentry.
var deniedSyscalls = []string{
	// filesystems and mounts
	"mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick",
	"move_mount", "open_tree", "mount_setattr", "open_by_handle_at", "name_to_handle_at",
	"swapon", "swapoff", "quotactl", "acct", "uselib", "nfsservctl", "lookup_dcookie",
	// namespaces (clone with namespace flags is filtered below)
	"unshare", "setns",
	// debugging other processes and their memory
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	// kernel attack surface
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "fanotify_init",
	// the machine itself
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
	"syslog", "iopl", "ioperm", "vhangup", "_sysctl",
	// the scheduling policy the driver chose (linuxns: batch)
	"sched_setscheduler", "sched_setattr",
}

// namespaceCloneFlags are refused in clone(2)'s flags argument.
const namespaceCloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC |
	unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWTIME

func policy() seccomp.Policy {
	return seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{Action: seccomp.ActionErrno, Names: deniedSyscalls},
			{
				Action: seccomp.ActionErrno,
				NamesWithCondtions: []seccomp.NameWithConditions{{
					Name: "clone",
					Conditions: seccomp.ArgumentConditions{{
						Argument: 0, Operation: seccomp.BitsSet, Value: namespaceCloneFlags,
					}},
				}},
			},
			// clone3 passes its flags in memory, which seccomp cannot
			// inspect: ENOSYS makes glibc and libuv fall back to clone.
			{Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS), Names: []string{"clone3"}},
		},
	}
}

// Program returns the filter assembled for this architecture, as the
// kernel's struct sock_filter array in native byte order. The host
// assembles it, once, and hands it to each sandbox's init, which installs it
// with no_new_privs on all its threads (initproc.LoadSeccomp) just before
// starting the runtime: the init does not link the assembler, whose tables
// would cost every idle instance about 200 KiB.
var Program = sync.OnceValues(func() ([]byte, error) {
	p := policy()
	insts, err := p.Assemble()
	if err != nil {
		return nil, fmt.Errorf("assemble seccomp policy: %w", err)
	}
	raw, err := bpf.Assemble(insts)
	if err != nil {
		return nil, fmt.Errorf("assemble seccomp BPF: %w", err)
	}
	prog := make([]byte, 0, len(raw)*8)
	for _, in := range raw {
		prog = binary.NativeEndian.AppendUint16(prog, in.Op)
		prog = append(prog, in.Jt, in.Jf)
		prog = binary.NativeEndian.AppendUint32(prog, in.K)
	}
	return prog, nil
})
