//go:build linux

package nsinit

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox/initproc"
)

// The init recognises itself by both its argv[0] and an environment marker,
// so neither alone (a user running "voltrun" with a strange name) triggers
// it. The driver starts it with Arg0 and EnvKey=EnvVal.
const (
	Arg0   = "voltrun-sandbox-init"
	EnvKey = "_VOLTRUN_SANDBOX_INIT"
	EnvVal = "1"
)

// Identities inside the sandbox (mapped to Options.UIDBase + id on the host).
const (
	sandboxUID = 1000  // runs the interpreter and the user's code
	sandboxGID = 1000  //
	initUID    = 65534 // the init drops to this after starting the runtime
)

// Config is sent by the host, as JSON, on the init's fd 5.
type Config struct {
	Runtime   string `json:"runtime"`
	MemoryMB  int    `json:"memory_mb"`
	TmpSizeMB int    `json:"tmp_size_mb"`
	Hostname  string `json:"hostname"`
	CodeDir   bool   `json:"code_dir"` // fd 6 is the code directory
	// CgroupTasks are v1 "tasks" files the init writes "0" to, moving
	// its forking thread (and so the runtime) into the instance's groups.
	CgroupTasks []string `json:"cgroup_tasks"`
	// Seccomp is the filter to install (seccompfilter.Program).
	Seccomp []byte `json:"seccomp"`
	// PythonCode is the compiled Python bootstrap (runtime.CompilePython)
	// for a Python sandbox; without it the runtime compiles the source.
	PythonCode []byte `json:"python_code,omitempty"`
}

// Reexec runs the sandbox init stage, or the spawner that starts inits,
// when this process is one, and reports false otherwise; when it is one,
// Reexec never returns. Both the standalone init and, through
// linuxns.Reexec, the server call it first thing in main.
func Reexec() bool {
	if len(os.Args) == 0 || os.Getenv(EnvKey) != EnvVal {
		return false
	}
	// syscall.Exit, not os.Exit: nothing needs flushing, and os.Exit(0) in
	// a race-enabled test binary sleeps a second in the race runtime's
	// finaliser, delaying every clean runtime exit.
	switch os.Args[0] {
	case Arg0:
		syscall.Exit(runInit())
	case SpawnerArg0:
		syscall.Exit(runSpawner())
	}
	return false
}

// runInit is PID 1 of the sandbox's namespaces. It builds the root
// filesystem, locks the process down, starts the runtime as an
// unprivileged user, then reaps orphans until the runtime exits, and exits
// with the runtime's status (128+signal for a signal), which takes the whole
// namespace down with it.
func runInit() int {
	// Capability bounding sets are per thread and the runtime is forked
	// from the calling thread: keep everything on one thread.
	goruntime.LockOSThread()
	resp := os.NewFile(4, "responses")
	fail := func(err error) int {
		initproc.ReportError(resp, err)
		return 1
	}
	cfg, err := readInitConfig(os.NewFile(5, "config"))
	if err != nil {
		return fail(err)
	}
	// Join the instance's cgroups (v1; v2 started us inside) before
	// anything else, and root a cgroup namespace there to hide the host's
	// cgroup paths. Only this locked thread moves on v1; the runtime is
	// forked from it and so starts inside.
	for _, p := range cfg.CgroupTasks {
		if err := os.WriteFile(p, []byte("0"), 0); err != nil {
			return fail(fmt.Errorf("join cgroup: %w", err))
		}
	}
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fail(fmt.Errorf("unshare cgroup namespace: %w", err))
	}
	if err := buildRoot(cfg); err != nil {
		return fail(err)
	}
	if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fail(fmt.Errorf("set hostname: %w", err))
	}
	cmd, err := bootstrap.CommandFor(cfg.Runtime, cfg.MemoryMB, bootstrap.Dir)
	if err != nil {
		return fail(err)
	}
	if err := initproc.DropBoundingSet(); err != nil {
		return fail(err)
	}
	if err := initproc.LoadSeccomp(cfg.Seccomp); err != nil {
		return fail(err)
	}
	devNull, err := os.Open("/dev/null")
	if err != nil {
		return fail(fmt.Errorf("open /dev/null: %w", err))
	}
	proc, err := os.StartProcess(cmd.Path, cmd.Args, &os.ProcAttr{
		Dir:   bootstrap.TaskRoot,
		Env:   cmd.Env,
		Files: []*os.File{devNull, os.Stdout, os.Stderr, os.NewFile(3, "requests"), resp},
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
	// Only the runtime may hold the protocol descriptors: when it dies the
	// host sees EOF.
	for _, fd := range []int{3, 4, 5, codeDirFd} {
		_ = unix.Close(fd)
	}
	_ = devNull.Close()
	// A different uid from the runtime's, without capabilities: user code
	// can neither signal nor inspect its init.
	_ = syscall.Setgroups(nil)
	_ = syscall.Setresgid(initUID, initUID, initUID)
	_ = syscall.Setresuid(initUID, initUID, initUID)
	return reap(proc.Pid)
}

func readInitConfig(f *os.File) (Config, error) {
	defer f.Close()
	var cfg Config
	b, err := io.ReadAll(io.LimitReader(f, 1<<16))
	if err != nil {
		return cfg, fmt.Errorf("read init config: %w", err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("decode init config: %w", err)
	}
	return cfg, nil
}

// reap returns the runtime's exit status, 128+signal for a signal (see
// initproc.Reap).
func reap(runtimePid int) int {
	ws, err := initproc.Reap(runtimePid)
	switch {
	case err != nil:
		return 125
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
