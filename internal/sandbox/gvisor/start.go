//go:build linux

package gvisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

// hostPipes are the host's ends of the sandbox's stdio.
type hostPipes struct {
	requests  *os.File // → sandbox fd 0, the runtime's fd 3 (blocking: one write per call)
	responses *os.File // ← sandbox fd 1, the runtime's fd 4 (blocking reads bypass the netpoller)
	logs      *os.File // ← sandbox fd 2, the multiplexed output (pollable: no thread parked per idle instance)
}

func (p *hostPipes) close() {
	for _, f := range []*os.File{p.requests, p.responses, p.logs} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// newPipe returns a close-on-exec pipe; nonblockRead makes the read end
// pollable by the Go runtime. os.Pipe would make both ends non-blocking,
// and the sandbox's ends must block.
func newPipe(name string, nonblockRead bool) (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("create %s pipe: %w", name, err)
	}
	if nonblockRead {
		if err := unix.SetNonblock(p[0], true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, nil, fmt.Errorf("set %s pipe non-blocking: %w", name, err)
		}
	}
	return os.NewFile(uintptr(p[0]), name+"-r"), os.NewFile(uintptr(p[1]), name+"-w"), nil
}

// start boots the sandbox (img "") or restores it from the snapshot image
// img, and returns once the runtime is ready to Load (or, restored from a
// loaded image, to Invoke). fill, if set, writes the code first. On error
// the caller destroys the instance.
func (i *instance) start(ctx context.Context, img string, fill func(string) error) error {
	begin := time.Now()
	if err := i.prepareBundle(); err != nil {
		return err
	}
	if fill != nil {
		if err := fill(i.codeDir); err != nil {
			return fmt.Errorf("write code: %w", err)
		}
	}
	args := []string{"run", "--detach", "--bundle", i.bundle, "--pid-file", i.pidFile(), i.id}
	if img != "" {
		args = []string{"restore", "--detach", "--image-path", img, "--bundle", i.bundle, "--pid-file", i.pidFile(), i.id}
		i.restored = true
	}
	if err := i.launch(ctx, args); err != nil {
		return err
	}
	return i.attach(ctx, begin)
}

// park creates the sandbox without starting it: runsc create starts the
// sandbox process and the gofer and sets up the cgroups, and the container
// then waits for unpark. On error the caller destroys the instance.
func (i *instance) park(ctx context.Context) error {
	if err := i.prepareBundle(); err != nil {
		return err
	}
	return i.launch(ctx, []string{"create", "--bundle", i.bundle, "--pid-file", i.pidFile(), i.id})
}

// unpark boots the parked sandbox's runtime (img "") or restores img into
// it, and returns as start does. On error the caller destroys the instance.
func (i *instance) unpark(ctx context.Context, img string) error {
	begin := time.Now()
	args := []string{"start", i.id}
	if img != "" {
		args = []string{"restore", "--detach", "--image-path", img, "--bundle", i.bundle, i.id}
		i.restored = true
	}
	if err := i.runsc(ctx, args, nil); err != nil {
		return err
	}
	return i.attach(ctx, begin)
}

// launch runs the runsc command that creates the sandbox (run, restore or
// create, each with --pid-file i.pidFile()), handing it the sandbox's ends
// of three new pipes, and opens a pidfd for the sandbox process it reports.
func (i *instance) launch(ctx context.Context, args []string) error {
	var child []*os.File // the sandbox's ends, closed here once runsc has them
	closeChild := func() {
		for _, f := range child {
			_ = f.Close()
		}
		child = nil
	}
	defer closeChild()
	for _, p := range []struct {
		host     **os.File
		hostRead bool
		name     string
		nonblock bool
	}{{&i.pipes.requests, false, "requests", false}, {&i.pipes.responses, true, "responses", false}, {&i.pipes.logs, true, "logs", true}} {
		r, w, err := newPipe(p.name, p.nonblock)
		if err != nil {
			return err
		}
		if p.hostRead {
			*p.host, child = r, append(child, w)
		} else {
			*p.host, child = w, append(child, r)
		}
	}
	i.created = true
	err := i.runsc(ctx, args, child)
	// The sandbox holds its ends now. Kept open here, they would hide its
	// death from the host's reads: a killed sandbox must mean EOF.
	closeChild()
	if err != nil {
		return err
	}
	return i.openPidfd()
}

// runsc runs a runsc command on the sandbox, with stdio (if set) as its
// stdin, stdout and stderr. It is never interrupted by ctx: killed half-way
// through creating a sandbox, runsc would leave processes and cgroups that
// it has not yet recorded, which runsc delete then cannot find. It is
// bounded by StartTimeout instead, and ctx is honoured once it returns.
func (i *instance) runsc(ctx context.Context, args []string, stdio []*os.File) error {
	logFile := filepath.Join(i.bundle, "runsc.log")
	runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), i.d.opts.StartTimeout)
	defer cancel()
	cmd := i.d.host.rs.command(runCtx, logFile, args...)
	if stdio != nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	}
	if err := cmd.Run(); err != nil {
		return i.d.host.rs.failure(args[0], err, "", logFile)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("start sandbox: %w", context.Cause(ctx))
	}
	return nil
}

// attach connects the host to the started sandbox's pipes and, for a boot,
// waits for the runtime's ready frame.
func (i *instance) attach(ctx context.Context, begin time.Time) error {
	runscTook := time.Since(begin)
	i.mux = newDemux(i.pipes.logs, func(err error) {
		i.log.Warn("killing sandbox: bad log stream", zap.Error(err))
		i.kill(err)
	})
	i.client = runtime.NewClient(runtime.ClientConfig{
		Requests: i.pipes.requests, Responses: i.pipes.responses, Stdout: i.mux.Stdout, Stderr: i.mux.Stderr,
		Kill: i.kill, Logger: i.log,
	})
	if i.restored {
		// The restored runtime is the checkpointed one, already past its
		// ready frame (and its load, for a loaded image) and blocked
		// reading its request pipe.
		i.log.Debug("sandbox restored", zap.Duration("took", runscTook))
		return nil
	}
	version, err := i.client.Ready(ctx)
	if err != nil {
		return err
	}
	i.log.Debug("sandbox ready", zap.String("version", version), zap.Duration("took", time.Since(begin)), zap.Duration("runsc", runscTook))
	return nil
}

// prepareBundle creates the bundle directory, the private code dir if the
// Spec has none, and config.json.
func (i *instance) prepareBundle() error {
	i.bundle = filepath.Join(i.d.host.inst, i.id)
	if err := os.Mkdir(i.bundle, 0o700); err != nil {
		return fmt.Errorf("create bundle: %w", err)
	}
	if i.codeDir == "" {
		// Inside the root-only bundle: the sandbox reaches it through its
		// bind mount, never by this path.
		dir := filepath.Join(i.bundle, "code")
		if err := os.Mkdir(dir, 0o755); err != nil { //nolint:gosec // the sandbox's unprivileged user reads the code
			return fmt.Errorf("create code dir: %w", err)
		}
		if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // Mkdir honours the umask; the sandbox user needs r-x
			return fmt.Errorf("create code dir: %w", err)
		}
		i.codeDir, i.ownCodeDir = dir, true
	}
	st, err := os.Stat(i.codeDir)
	switch {
	case err != nil:
		return fmt.Errorf("%w: code dir: %w", sandbox.ErrInvalidSpec, err)
	case !st.IsDir():
		return fmt.Errorf("%w: code dir %s is not a directory", sandbox.ErrInvalidSpec, i.codeDir)
	case st.Mode()&0o005 != 0o005:
		return fmt.Errorf("%w: code dir %s has mode %o: the sandbox user needs o+rx", sandbox.ErrInvalidSpec, i.codeDir, st.Mode()&0o777)
	}
	return bundleConfig{
		spec: i.spec, mode: gvinit.ModeRun, rootfs: i.d.host.rootfs, optDir: i.d.host.opt, codeDir: i.codeDir,
		cgroupPath: i.d.cgroupPath(i.id), netns: i.d.host.netns, hostname: i.d.opts.Hostname, overheadMB: i.d.opts.MemoryOverheadMB, taskMB: i.d.opts.TaskOverheadMB,
	}.write(i.bundle)
}

// pidFile is where runsc reports the sandbox process's pid.
func (i *instance) pidFile() string { return filepath.Join(i.bundle, "sandbox.pid") }

// openPidfd opens a pidfd for the sandbox process runsc reported, so that
// kill and Destroy can never hit a recycled pid.
func (i *instance) openPidfd() error {
	b, err := os.ReadFile(i.pidFile())
	if err != nil {
		return fmt.Errorf("read sandbox pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return fmt.Errorf("read sandbox pid: bad pid file %q", b)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("open sandbox pidfd: %w", err)
	}
	i.pidMu.Lock()
	i.pidfd = fd
	i.pidMu.Unlock()
	return nil
}
