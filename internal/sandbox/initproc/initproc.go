//go:build linux

package initproc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// frameInitError is runtime.FrameInitError, the frame that carries an
// init's failure as UTF-8 text (see internal/runtime's protocol).
const frameInitError = 'X'

// ReportError sends err to the host as an init-error frame on responses,
// in one write as the protocol requires.
func ReportError(responses *os.File, err error) {
	msg := err.Error()
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 5+len(msg)), uint32(len(msg))) //nolint:gosec // an error message
	b = append(append(b, frameInitError), msg...)
	_, _ = responses.Write(b)
}

// DropBoundingSet empties the capability bounding set and the ambient set
// of the calling thread, so nothing exec'd from it can gain a capability.
// An init calls it on the locked thread it forks the runtime from; its
// other threads never exec, and lose every capability when it leaves
// uid 0. (Doing this on every thread, with syscall.AllThreadsSyscall,
// stopped the world once per capability: 4 ms of each cold start on a
// quiet machine.)
func DropBoundingSet() error {
	prctl := func(op, arg uintptr) syscall.Errno {
		_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, op, arg, 0)
		return errno
	}
	for c := uintptr(0); c <= 63; c++ {
		errno := prctl(unix.PR_CAPBSET_DROP, c)
		if errno == unix.EINVAL {
			break // past the kernel's last capability
		}
		if errno != 0 {
			return fmt.Errorf("drop capability %d from the bounding set: %w", c, errno)
		}
	}
	if errno := prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL); errno != 0 {
		return fmt.Errorf("clear ambient capabilities: %w", errno)
	}
	return nil
}

// Reap waits for every child of the init, PID 1, to which orphans are
// re-parented, until the runtime (runtimePid) is gone, and returns how it
// ended.
func Reap(runtimePid int) (unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if pid == runtimePid && (ws.Exited() || ws.Signaled()) {
			return ws, nil
		}
	}
}

// sockFilterSize is the size of the kernel's struct sock_filter.
const sockFilterSize = 8

// LoadSeccomp sets no_new_privs and installs prog, a struct sock_filter
// array in native byte order (seccompfilter.Program), on every thread of
// the process; everything it starts afterwards inherits both.
func LoadSeccomp(prog []byte) error {
	if len(prog) == 0 || len(prog)%sockFilterSize != 0 || len(prog)/sockFilterSize > unix.BPF_MAXINSNS {
		return fmt.Errorf("install seccomp filter: malformed program of %d bytes", len(prog))
	}
	insts := make([]unix.SockFilter, len(prog)/sockFilterSize)
	for i := range insts {
		b := prog[i*sockFilterSize:]
		insts[i] = unix.SockFilter{Code: binary.NativeEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.NativeEndian.Uint32(b[4:])}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("set no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(insts)), Filter: &insts[0]} //nolint:gosec // bounded by BPF_MAXINSNS
	// seccomp(2) reads the program during the call; the conversion stays
	// in the call expression, as unsafe.Pointer's rules require.
	tid, _, errno := syscall.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog))) //nolint:gosec // see above
	switch {
	case errno != 0:
		return fmt.Errorf("install seccomp filter: %w", errno)
	case tid != 0: // TSYNC names the thread it could not synchronise
		return fmt.Errorf("install seccomp filter: thread %d cannot take it", tid)
	}
	return nil
}
