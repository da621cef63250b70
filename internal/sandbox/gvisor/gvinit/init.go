//go:build linux

package gvinit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor/loopback"
	"github.com/voltrun/voltrun/internal/sandbox/initproc"
)

// The init is copied into the driver's directory mounted read-only at
// bootstrap.Dir, with the seccomp filter it installs beside it. It
// recognises itself by its path and an environment marker, so neither alone
// triggers it: the driver starts it as Path with EnvKey=EnvVal.
const (
	Name        = "init"
	SeccompName = "seccomp.bpf" // seccompfilter.Program
	EnvKey      = "_VOLTRUN_GVISOR_INIT"
	EnvVal      = "1"
)

// Path is where the init binary appears inside the sandbox.
var Path = filepath.Join(bootstrap.Dir, Name)

// Init modes (the init's argv[1]).
const (
	ModeRun   = "run"   // argv: run <runtime> <memory MB>
	ModeProbe = "probe" // Available's smoke test: lock down, then exit 0
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

// Reexec runs the sandbox init when this process is one, and reports false
// otherwise; when it is the init, Reexec never returns. Both the standalone
// init and, through gvisor.Reexec, the server call it first thing in main.
func Reexec() bool {
	if len(os.Args) < 2 || os.Args[0] != Path || os.Getenv(EnvKey) != EnvVal {
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
		initproc.ReportError(responses, err)
		return 1
	}
	if len(args) == 0 || (args[0] != ModeRun && args[0] != ModeProbe) || (args[0] == ModeRun && len(args) != 3) {
		return fail(fmt.Errorf("gvisor init: bad arguments %q", args))
	}
	if err := loopback.Unplug(); err != nil {
		return fail(fmt.Errorf("disable loopback: %w", err))
	}
	if err := initproc.DropBoundingSet(); err != nil {
		return fail(err)
	}
	prog, err := os.ReadFile(filepath.Join(bootstrap.Dir, SeccompName))
	if err != nil {
		return fail(fmt.Errorf("read seccomp filter: %w", err))
	}
	if err := initproc.LoadSeccomp(prog); err != nil {
		return fail(err)
	}
	if args[0] == ModeProbe {
		return 0
	}
	memoryMB, err := strconv.Atoi(args[2])
	if err != nil {
		return fail(fmt.Errorf("gvisor init: bad memory %q", args[2]))
	}
	cmd, err := bootstrap.CommandFor(args[1], memoryMB, bootstrap.Dir)
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
		Dir:   bootstrap.TaskRoot,
		Env:   append(cmd.Env, bootstrap.RelayedOutput),
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

	mux := NewMuxWriter(logs)
	var relays sync.WaitGroup
	for _, r := range []struct {
		f   *os.File
		typ byte
	}{{outR, MuxStdout}, {errR, MuxStderr}} {
		relays.Go(func() { relay(r.f, r.typ, mux) })
	}
	status := reap(proc.Pid)
	drained := make(chan struct{})
	go func() { relays.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(relayDrain):
	}
	_ = mux.Send(MuxStatus, []byte(status.String()))
	if status.Signal != 0 {
		return 128 + int(status.Signal)
	}
	return status.Code
}

// relay forwards one of the runtime's output pipes onto the log stream.
func relay(r *os.File, typ byte, mux *MuxWriter) {
	buf := make([]byte, RelayChunk)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if mux.Send(typ, buf[:n]) != nil {
				return // the host is gone
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = mux.Send(MuxStderr, []byte("voltrun: log relay: "+err.Error()+"\n"))
			}
			return
		}
	}
}

// reap returns how the runtime ended (see initproc.Reap).
func reap(runtimePid int) ExitStatus {
	ws, err := initproc.Reap(runtimePid)
	switch {
	case err != nil:
		return ExitStatus{Code: 125}
	case ws.Signaled():
		return ExitStatus{Signal: ws.Signal()}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}
