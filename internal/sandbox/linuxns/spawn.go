//go:build linux

package linuxns

import (
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
)

// hostPipes are the host's ends of an instance's descriptors.
type hostPipes struct {
	requests  *os.File // → sandbox fd 3 (blocking: one write per call)
	responses *os.File // ← sandbox fd 4 (pollable: see newPolledPipe)
	stdout    *os.File // ← sandbox fd 1 (pollable: no thread parked per idle instance)
	stderr    *os.File // ← sandbox fd 2 (pollable)
	config    *os.File // → init fd 5, written once then closed
}

func (p *hostPipes) close() {
	for _, f := range []*os.File{p.requests, p.responses, p.stdout, p.stderr, p.config} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// newPipe returns a blocking, close-on-exec pipe, for what the host writes:
// a write completes in one call.
func newPipe(name string) (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("create %s pipe: %w", name, err)
	}
	return os.NewFile(uintptr(p[0]), name+"-r"), os.NewFile(uintptr(p[1]), name+"-w"), nil
}

// newPolledPipe returns a pipe whose read end is non-blocking (so the Go
// runtime polls it) and whose write end, the sandbox's, stays blocking.
// Blocking reads of responses were faster for one call at a time, but with
// many calls in flight each parked a thread that the runtime's monitor had
// to take back: polled, warm throughput is 1.3-1.6 times higher and a
// call's p50 60 µs slower for Node (docs/benchmarks.md).
func newPolledPipe(name string) (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("create %s pipe: %w", name, err)
	}
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, nil, fmt.Errorf("set %s pipe non-blocking: %w", name, err)
	}
	return os.NewFile(uintptr(p[0]), name+"-r"), os.NewFile(uintptr(p[1]), name+"-w"), nil
}

// sealedExecutable puts b in a sealed memory file and returns a path that
// executes it. The descriptor stays open, close-on-exec, for the life of
// the process, numbered above the few a child is given so that setting up
// a child's descriptors never overwrites it before the exec.
func sealedExecutable(name string, b []byte) (string, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return "", fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	for rest := b; len(rest) > 0; {
		n, err := unix.Write(fd, rest)
		if err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		rest = rest[n:]
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return "", fmt.Errorf("seal %s: %w", name, err)
	}
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 100)
	if err != nil {
		return "", fmt.Errorf("keep %s: %w", name, err)
	}
	return fmt.Sprintf("/proc/self/fd/%d", high), nil
}

// startInit starts the sandbox init (initPath: a standalone build, or this
// binary re-executed) in new user,
// pid, mount, network, IPC and UTS namespaces, as root of the new user
// namespace (mapped to uidBase on the host), with nothing of the server's
// environment, placed in (v2) or able to join (v1, the returned tasks
// files) the instance's cgroup. codeDir may be nil.
func startInit(initPath string, uidBase int, codeDir *os.File, cg cgroup) (*exec.Cmd, *hostPipes, []string, error) {
	hp := &hostPipes{}
	var child []*os.File // the sandbox's ends, closed here once started
	defer func() {
		for _, f := range child {
			_ = f.Close()
		}
	}()
	var err error
	var reqR, respW, outW, errW, cfgR *os.File
	if reqR, hp.requests, err = newPipe("requests"); err != nil {
		return nil, nil, nil, err
	}
	child = append(child, reqR)
	if hp.responses, respW, err = newPolledPipe("responses"); err != nil {
		hp.close()
		return nil, nil, nil, err
	}
	child = append(child, respW)
	if hp.stdout, outW, err = newPolledPipe("stdout"); err != nil {
		hp.close()
		return nil, nil, nil, err
	}
	child = append(child, outW)
	if hp.stderr, errW, err = newPolledPipe("stderr"); err != nil {
		hp.close()
		return nil, nil, nil, err
	}
	child = append(child, errW)
	if cfgR, hp.config, err = newPipe("config"); err != nil {
		hp.close()
		return nil, nil, nil, err
	}
	child = append(child, cfgR)

	extra := []*os.File{reqR, respW, cfgR} // fds 3, 4, 5
	if codeDir != nil {
		extra = append(extra, codeDir) // fd 6
	}
	idMap := []syscall.SysProcIDMap{{ContainerID: 0, HostID: uidBase, Size: idMapSize}}
	cmd := &exec.Cmd{
		Path: initPath,
		Args: []string{nsinit.Arg0},
		// One P: the init works on one locked thread, then only waits;
		// more Ps cost every idle instance ~200 KiB.
		Env:        []string{nsinit.EnvKey + "=" + nsinit.EnvVal, "GOMAXPROCS=1"},
		Dir:        "/",
		Stdout:     outW,
		Stderr:     errW,
		ExtraFiles: extra,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS |
				syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
			UidMappings: idMap,
			GidMappings: idMap,
			// Allowing setgroups lets the child drop the host root's
			// supplementary groups (below), which would otherwise follow
			// it into the sandbox as an unmapped but effective gid 0.
			GidMappingsEnableSetgroups: true,
			Credential:                 &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}},
			Pdeathsig:                  syscall.SIGKILL,
		},
	}
	tasks, done, err := cg.Prepare(cmd.SysProcAttr, uidBase)
	if err != nil {
		hp.close()
		return nil, nil, nil, err
	}
	err = spawn(cmd)
	done()
	if err != nil {
		hp.close()
		return nil, nil, nil, fmt.Errorf("start sandbox init: %w", err)
	}
	return cmd, hp, tasks, nil
}

// idMapSize is the number of uids/gids mapped into each sandbox.
const idMapSize = 65536

// The kernel sends Pdeathsig when the *thread* that forked the child exits,
// and the Go runtime may retire threads. All sandboxes are therefore forked
// from one goroutine locked to a thread that never exits.
var (
	spawnOnce sync.Once
	spawnCh   chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan spawnReq)
		go func() {
			goruntime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range spawnCh {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, done: done}
	return <-done
}
