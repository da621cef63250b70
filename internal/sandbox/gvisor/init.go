//go:build linux

package gvisor

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/sandbox/seccompfilter"
)

// The init is this binary, copied into the driver's state directory and
// mounted read-only at initPath. It recognises itself by its path and an
// environment marker, so neither alone triggers it.
const (
	initName   = "init"
	initEnvKey = "_VOLTRUN_GVISOR_INIT"
	initEnvVal = "1"
)

// initPath is where the init binary appears inside the sandbox.
var initPath = filepath.Join(runtime.BootstrapDir, initName)

// Init modes (the init's argv[1]).
const (
	initModeRun   = "run"   // argv: run <runtime> <memory MB>
	initModeProbe = "probe" // Available's smoke test: lock down, then exit 0
)

// Identities inside the sandbox.
const (
	sandboxUID = 1000  // runs the interpreter and the user's code
	sandboxGID = 1000  //
	initUID    = 65534 // the init drops to this after starting the runtime
)

// relayDrain bounds how long the init forwards output after the runtime
// exited: a child the function left behind may hold the pipes open.
const relayDrain = 250 * time.Millisecond

var hookCalled atomic.Bool

// Reexec runs the sandbox init when this process is one, and reports false
// otherwise. main() — and the TestMain of every test package that creates
// gvisor instances — must call it first, before flags, config or logging:
// every gVisor sandbox starts this binary as its PID 1, and without the hook
// it would run the server instead. When it is the init, Reexec never returns.
func Reexec() bool {
	hookCalled.Store(true)
	if len(os.Args) < 2 || os.Args[0] != initPath || os.Getenv(initEnvKey) != initEnvVal {
		return false
	}
	// syscall.Exit, not os.Exit: nothing needs flushing, and os.Exit in a
	// race-enabled binary waits for the race runtime's report.
	syscall.Exit(runInit(os.Args[1:]))
	return true
}

// runInit is PID 1 of the sandbox, running as root of the sentry (never of
// the host) with CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID and CAP_SETPCAP. Its
// descriptors are the container's stdio: 0 the request pipe, 1 the response
// pipe, 2 the log stream. It unplugs the loopback device, empties the
// capability bounding set, installs seccomp, starts the runtime as uid 1000
// with the request and response pipes as its fds 3 and 4, drops itself to
// uid 65534, relays the runtime's stdout and stderr onto fd 2, reaps
// orphans, and exits with the runtime's status once it is gone, which ends
// the sandbox.
func runInit(args []string) int {
	// Capability bounding sets are per thread and the runtime is forked
	// from the calling thread: keep everything on one thread.
	goruntime.LockOSThread()
	requests, responses, logs := os.NewFile(0, "requests"), os.NewFile(1, "responses"), os.NewFile(2, "logs")
	fail := func(err error) int {
		_ = runtime.WriteFrame(responses, runtime.FrameInitError, []byte(err.Error()))
		return 1
	}
	if len(args) == 0 || (args[0] != initModeRun && args[0] != initModeProbe) || (args[0] == initModeRun && len(args) != 3) {
		return fail(fmt.Errorf("gvisor init: bad arguments %q", args))
	}
	if err := unplugLoopback(); err != nil {
		return fail(fmt.Errorf("disable loopback: %w", err))
	}
	if err := dropBoundingSet(); err != nil {
		return fail(err)
	}
	if err := seccompfilter.Install(); err != nil {
		return fail(err)
	}
	if args[0] == initModeProbe {
		return 0
	}
	memoryMB, err := strconv.Atoi(args[2])
	if err != nil {
		return fail(fmt.Errorf("gvisor init: bad memory %q", args[2]))
	}
	cmd, err := runtime.CommandFor(args[1], memoryMB, runtime.BootstrapDir)
	if err != nil {
		return fail(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return fail(fmt.Errorf("create stdout pipe: %w", err))
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return fail(fmt.Errorf("create stderr pipe: %w", err))
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return fail(fmt.Errorf("open %s: %w", os.DevNull, err))
	}
	proc, err := os.StartProcess(cmd.Path, cmd.Args, &os.ProcAttr{
		Dir:   runtime.TaskRoot,
		Env:   cmd.Env,
		Files: []*os.File{devNull, outW, errW, requests, responses},
		Sys: &syscall.SysProcAttr{
			// Leaving uid 0 clears the permitted and effective
			// capabilities; the empty bounding set and no_new_privs
			// keep them from coming back through exec.
			Credential: &syscall.Credential{Uid: sandboxUID, Gid: sandboxGID, Groups: []uint32{}},
			Pdeathsig:  syscall.SIGKILL,
		},
	})
	if err != nil {
		return fail(fmt.Errorf("start %s: %w", cmd.Path, err))
	}
	// Only the runtime holds the protocol pipes: when it dies the host
	// sees EOF at once.
	for _, f := range []*os.File{requests, responses, outW, errW, devNull} {
		_ = f.Close()
	}
	// A different uid from the runtime's, without capabilities: user code
	// can neither signal nor inspect its init.
	_ = syscall.Setgroups(nil)
	_ = syscall.Setresgid(initUID, initUID, initUID)
	_ = syscall.Setresuid(initUID, initUID, initUID)

	mux := &muxWriter{w: logs}
	var relays sync.WaitGroup
	for _, r := range []struct {
		f   *os.File
		typ byte
	}{{outR, muxStdout}, {errR, muxStderr}} {
		relays.Go(func() { relay(r.f, r.typ, mux) })
	}
	status := reap(proc.Pid)
	drained := make(chan struct{})
	go func() { relays.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(relayDrain):
	}
	_ = mux.write(muxStatus, []byte(status.String()))
	if status.Signal != 0 {
		return 128 + int(status.Signal)
	}
	return status.Code
}

// relay forwards one of the runtime's output pipes onto the log stream.
func relay(r *os.File, typ byte, mux *muxWriter) {
	buf := make([]byte, relayChunk)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if mux.write(typ, buf[:n]) != nil {
				return // the host is gone
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = mux.write(muxStderr, []byte("voltrun: log relay: "+err.Error()+"\n"))
			}
			return
		}
	}
}

// dropBoundingSet empties the capability bounding set and the ambient set,
// so nothing exec'd in the sandbox can gain a capability. It applies to every
// thread where the Go runtime can do that (no cgo), else to the calling
// thread, which runInit has locked and forks the runtime from.
func dropBoundingSet() error {
	prctl := func(op, arg uintptr) syscall.Errno {
		_, _, errno := syscall.AllThreadsSyscall(syscall.SYS_PRCTL, op, arg, 0)
		if errno == syscall.ENOTSUP { // cgo binaries (race-enabled tests)
			_, _, errno = syscall.RawSyscall(syscall.SYS_PRCTL, op, arg, 0)
		}
		return errno
	}
	for c := uintptr(0); c <= 63; c++ {
		errno := prctl(unix.PR_CAPBSET_DROP, c)
		if errno == unix.EINVAL {
			break // past the last capability
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

// reap waits for every child (orphans are re-parented to PID 1) and returns
// the runtime's status once it is gone.
func reap(runtimePid int) exitStatus {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return exitStatus{Code: 125}
		}
		if pid != runtimePid {
			continue
		}
		switch {
		case ws.Exited():
			return exitStatus{Code: ws.ExitStatus()}
		case ws.Signaled():
			return exitStatus{Signal: ws.Signal()}
		}
	}
}
