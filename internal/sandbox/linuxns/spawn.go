//go:build linux

package linuxns

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	goruntime "runtime"
	"sync"
	"syscall"
	"time"

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
// call's p50 60 µs slower for Node (docs/benchmarks.md). The runtime's
// client waits in the kernel while it has the only call in flight
// (runtime.waitReader).
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

// sealedExecutable puts b in a sealed memory file, kept open close-on-exec
// for the life of the process and numbered above the few descriptors a
// child is given, so that setting up a child's descriptors never
// overwrites it before the exec of /proc/self/fd/<its number>.
func sealedExecutable(name string, b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	defer unix.Close(fd)
	for rest := b; len(rest) > 0; {
		n, err := unix.Write(fd, rest)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
		rest = rest[n:]
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		return nil, fmt.Errorf("seal %s: %w", name, err)
	}
	high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 100)
	if err != nil {
		return nil, fmt.Errorf("keep %s: %w", name, err)
	}
	return os.NewFile(uintptr(high), name), nil
}

// startInit has the spawner start the sandbox init with the instance's
// pipes, placed in (v2) or able to join (v1, the returned tasks files) the
// instance's cgroup. The init is this process's child. codeDir may be nil.
func (s *spawner) startInit(uidBase int, codeDir *os.File, cg cgroup) (*os.Process, *hostPipes, []string, error) {
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

	req := nsinit.SpawnRequest{UIDBase: uidBase, CodeDir: codeDir != nil}
	files := []*os.File{outW, errW, reqR, respW, cfgR}
	if codeDir != nil {
		files = append(files, codeDir)
	}
	fds := make([]int, 0, nsinit.MaxSpawnFDs)
	for _, f := range files {
		fds = append(fds, int(f.Fd())) //nolint:gosec // a descriptor: non-negative
	}
	var attr syscall.SysProcAttr
	tasks, done, err := cg.Prepare(&attr, uidBase)
	if err != nil {
		hp.close()
		return nil, nil, nil, err
	}
	if attr.UseCgroupFD {
		fds = append(fds, attr.CgroupFD)
		req.CgroupFD = true
	}
	pid, err := s.spawn(req, fds)
	goruntime.KeepAlive(files)
	done()
	if err != nil {
		hp.close()
		return nil, nil, nil, fmt.Errorf("start sandbox init: %w", err)
	}
	// The init is this process's unreaped child, so its pid cannot have
	// been reused; FindProcess holds it by a pidfd from here on.
	proc, err := os.FindProcess(pid)
	if err != nil {
		hp.close()
		return nil, nil, nil, fmt.Errorf("find sandbox init %d: %w", pid, err)
	}
	return proc, hp, tasks, nil
}

// errSpawnerGone is a request that could not reach the spawner: it had
// exited, and no init was started.
var errSpawnerGone = errors.New("sandbox spawner exited")

// spawner is the host's end of the sandbox spawner, cmd/voltrun-nsinit run
// as nsinit.SpawnerArg0, which clones every sandbox's init. The server
// does not clone them itself: Go forks rather than vforks a child that
// gets a new user namespace (the parent writes its id maps while it
// waits), so the cost grows with the forking process's memory, ~3 ms at
// 48 MB and ~25 ms at 1 GB, where the spawner is a few hundred KB. It
// clones each init with CLONE_PARENT, so the init is the server's child:
// the server waits for it and reads its exit status as if it had started
// it, and the init's parent-death signal follows the server's spawning
// thread. It is started on first use and again if it exits.
type spawner struct {
	exe *os.File // cmd/voltrun-nsinit, in a sealed memory file
	// timeout bounds a request: a spawn takes milliseconds, and a spawner
	// that does not answer in this long (stopped, wedged) is killed and
	// replaced rather than left to hold every Create. Default spawnTimeout.
	timeout time.Duration

	mu   sync.Mutex // one request at a time
	sock *os.File   // SOCK_SEQPACKET; nil until started
	cmd  *exec.Cmd
}

const spawnTimeout = 5 * time.Second

// spawn sends one request and returns the init's pid. A spawner that had
// exited is restarted once.
func (s *spawner) spawn(req nsinit.SpawnRequest, fds []int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := req.Encode()
	rights := unix.UnixRights(fds...)
	for attempt := 0; ; attempt++ {
		if s.sock == nil {
			if err := s.start(); err != nil {
				return 0, err
			}
		}
		pid, err := s.roundTrip(b, rights)
		if errors.Is(err, errSpawnerGone) {
			s.stop()
			if attempt == 0 {
				continue
			}
		}
		return pid, err
	}
}

func (s *spawner) roundTrip(req, rights []byte) (int, error) {
	fd := int(s.sock.Fd()) //nolint:gosec // a descriptor: non-negative
	for {
		err := unix.Sendmsg(fd, req, rights, nil, unix.MSG_NOSIGNAL)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EPIPE), errors.Is(err, unix.ECONNRESET), errors.Is(err, unix.ECONNREFUSED):
			return 0, errSpawnerGone
		case errors.Is(err, unix.EAGAIN):
			s.stop()
			return 0, fmt.Errorf("sandbox spawner took no request for %v; replaced", s.timeout)
		case err != nil:
			return 0, fmt.Errorf("send spawn request: %w", err)
		}
		break
	}
	buf := make([]byte, 1024)
	var n int
	var err error
	for {
		n, _, _, _, err = unix.Recvmsg(fd, buf, nil, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err == nil && n == 0 {
		err = io.EOF
	}
	if err != nil {
		// The spawner died or is stuck with the request: an init it may
		// have started finds its config pipe closed (the caller gives up
		// on this instance) and exits.
		s.stop()
		if errors.Is(err, unix.EAGAIN) {
			return 0, fmt.Errorf("sandbox spawner did not answer within %v; replaced", s.timeout)
		}
		return 0, fmt.Errorf("sandbox spawner exited during a request: %w", err)
	}
	return nsinit.ParseSpawnReply(buf[:n])
}

func (s *spawner) start() error {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("sandbox spawner socket: %w", err)
	}
	host, theirs := os.NewFile(uintptr(fds[0]), "spawner"), os.NewFile(uintptr(fds[1]), "spawner-child")
	defer theirs.Close()
	if s.timeout == 0 {
		s.timeout = spawnTimeout
	}
	tv := unix.NsecToTimeval(s.timeout.Nanoseconds())
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := unix.SetsockoptTimeval(fds[0], unix.SOL_SOCKET, opt, &tv); err != nil {
			_ = host.Close()
			return fmt.Errorf("sandbox spawner socket timeout: %w", err)
		}
	}
	cmd := &exec.Cmd{
		Path:       fmt.Sprintf("/proc/self/fd/%d", s.exe.Fd()),
		Args:       []string{nsinit.SpawnerArg0},
		Env:        []string{},
		Dir:        "/",
		Stderr:     os.Stderr,
		ExtraFiles: []*os.File{theirs}, // fd 3
		// Dies with the server; the inits it started are the server's
		// children and outlive it only as long as the server does.
		SysProcAttr: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	if err := spawn(cmd); err != nil {
		_ = host.Close()
		return fmt.Errorf("start sandbox spawner: %w", err)
	}
	go func() { _ = cmd.Wait() }()
	s.sock, s.cmd = host, cmd
	return nil
}

// stop kills the spawner (its reaper goroutine waits for it) and closes
// the host's end.
func (s *spawner) stop() {
	if s.sock != nil {
		_ = s.cmd.Process.Kill()
		_ = s.sock.Close()
		s.sock, s.cmd = nil, nil
	}
}

// The kernel sends Pdeathsig when the *thread* that forked the child exits,
// and the Go runtime may retire threads. The spawner, and through
// CLONE_PARENT every init, are therefore forked from one goroutine locked
// to a thread that never exits.
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
