//go:build linux

package gvisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

// errDestroyed is the abort cause of a call cut short by Destroy.
var errDestroyed = errors.New("instance destroyed")

// exitWait bounds how long a call that lost its runtime waits for the
// init's exit report before classifying the death.
const exitWait = 2 * time.Second

// instance is one runsc sandbox. Its host resources: the bundle directory
// (config.json, runsc's log, the private code dir), three pipes, a pidfd for
// the sandbox process, and runsc's container state and cgroups.
type instance struct {
	d          *Driver
	id         string
	spec       sandbox.Spec
	log        *zap.Logger
	bundle     string
	codeDir    string
	ownCodeDir bool
	restored   bool

	created bool // runsc run/restore was invoked: runsc delete is due
	pipes   hostPipes
	mux     *demux
	client  *runtime.Client

	pidMu sync.Mutex // guards pidfd against kill racing its close
	pidfd int        // the sandbox process, -1 when unknown or closed

	destroyMu sync.Mutex // serialises Destroy calls
	cleaned   bool       // Destroy released everything

	mu        sync.Mutex
	busy      bool
	loaded    bool
	dead      bool
	destroyed bool
}

var _ sandbox.Instance = (*instance)(nil)

func (d *Driver) newInstance(spec sandbox.Spec) *instance {
	id := newID()
	return &instance{d: d, id: id, spec: spec, pidfd: -1, codeDir: spec.CodeDir, log: d.instanceLog(id, spec)}
}

// instanceLog is the logger of instance id, made for spec.
func (d *Driver) instanceLog(id string, spec sandbox.Spec) *zap.Logger {
	return d.log.With(zap.String("instance", id), zap.String("runtime", spec.Runtime), zap.Any("labels", spec.Labels))
}

func (i *instance) ID() string      { return i.id }
func (i *instance) CodeDir() string { return i.codeDir }

// kill takes the whole sandbox down at once: SIGKILL to the sandbox process
// (gVisor's kernel) ends every task inside it, and its end of every pipe.
func (i *instance) kill(error) {
	i.pidMu.Lock()
	defer i.pidMu.Unlock()
	if i.pidfd >= 0 {
		_ = unix.PidfdSendSignal(i.pidfd, unix.SIGKILL, nil, 0)
	}
}

// acquire marks the instance busy for a Load (wantLoaded false) or an Invoke.
func (i *instance) acquire(wantLoaded bool) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	switch {
	case i.dead || i.destroyed:
		return sandbox.ErrInstanceDead
	case i.busy:
		return sandbox.ErrInstanceBusy
	case wantLoaded && !i.loaded:
		return sandbox.ErrNotLoaded
	case !wantLoaded && i.loaded:
		return sandbox.ErrAlreadyLoaded
	}
	i.busy = true
	return nil
}

func (i *instance) release(loaded, dead bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.busy = false
	i.loaded = i.loaded || loaded
	i.dead = i.dead || dead
}

// Load implements sandbox.Instance.
func (i *instance) Load(ctx context.Context, fn sandbox.LoadRequest) error {
	if err := i.acquire(false); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if fn.MemoryMB == 0 {
		fn.MemoryMB = i.spec.MemoryMB
	}
	err := i.client.Load(ctx, fn)
	if err == nil {
		i.release(true, false)
		return nil
	}
	// A half-imported module is no state to serve calls from.
	i.release(false, true)
	i.kill(nil)
	var le *sandbox.LoadError
	if errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("load: %w", err)
}

// Invoke implements sandbox.Instance.
func (i *instance) Invoke(ctx context.Context, req sandbox.Request, logs sandbox.LogSink) (sandbox.Result, error) {
	if err := i.acquire(true); err != nil {
		return sandbox.Result{}, fmt.Errorf("invoke: %w", err)
	}
	res, err := i.client.Invoke(ctx, req, logs)
	if errors.Is(err, runtime.ErrExited) {
		res, err = i.classifyExit(res), nil
	}
	if res.Dead {
		i.kill(nil)
	}
	i.release(false, res.Dead)
	return res, err
}

// classifyExit names the cause of a runtime that died on its own during a
// call, from the init's exit report and the sandbox's memory cgroup.
func (i *instance) classifyExit(res sandbox.Result) sandbox.Result {
	res.Dead = true
	st, reported := i.exitStatus()
	switch {
	case i.oomKills() > 0 || i.client.SawHeapOOM():
		res.Status, res.Reason = sandbox.StatusKilled, sandbox.ReasonOutOfMemory
		res.Error = &sandbox.FunctionError{Type: "Runtime.OutOfMemory", Message: fmt.Sprintf("the function exceeded its memory limit of %d MB and was killed", i.spec.MemoryMB)}
	case !reported:
		// Nothing inside the sandbox saw the runtime end: gVisor itself
		// died (or was killed by the host).
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonCrash
		res.Error = &sandbox.FunctionError{Type: "Runtime.Crash", Message: "the sandbox died unexpectedly"}
	case st.Signal != 0:
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonCrash
		res.Error = &sandbox.FunctionError{Type: "Runtime.Crash", Message: fmt.Sprintf("the runtime was killed by signal %d (%v)", int(st.Signal), st.Signal)}
	default:
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ExitCodeReason(st.Code)
		res.Error = &sandbox.FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("the runtime exited with code %d during the invocation", st.Code)}
	}
	return res
}

// exitStatus waits (bounded) for the log stream to end and returns the
// runtime's status if the init reported it.
func (i *instance) exitStatus() (gvinit.ExitStatus, bool) {
	select {
	case <-i.mux.done:
	case <-time.After(exitWait):
		i.kill(nil)
		<-i.mux.done
	}
	return i.mux.exited()
}

// Destroy implements sandbox.Instance.
func (i *instance) Destroy(ctx context.Context) error {
	i.destroyMu.Lock()
	defer i.destroyMu.Unlock()
	i.mu.Lock()
	i.destroyed, i.dead = true, true
	i.mu.Unlock()
	if i.cleaned {
		return nil
	}
	if i.client != nil {
		i.client.Abort(errDestroyed) // unblocks a running call; kills
	}
	i.kill(nil)
	var errs []error
	if err := i.waitGone(ctx); err != nil {
		errs = append(errs, err)
	}
	if i.created && len(errs) == 0 {
		// Removes runsc's state and the cgroups, and any gofer left.
		if err := i.d.host.rs.delete(ctx, i.id); err != nil {
			errs = append(errs, fmt.Errorf("destroy %s: %w", i.id, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // retried on the next Destroy
	}
	i.pidMu.Lock()
	if i.pidfd >= 0 {
		_ = unix.Close(i.pidfd)
		i.pidfd = -1
	}
	i.pidMu.Unlock()
	i.pipes.close()
	if i.bundle != "" {
		if err := os.RemoveAll(i.bundle); err != nil {
			return fmt.Errorf("destroy %s: remove bundle: %w", i.id, err)
		}
	}
	i.cleaned = true
	return nil
}

// waitGone waits until the sandbox process has exited.
func (i *instance) waitGone(ctx context.Context) error {
	i.pidMu.Lock()
	fd := i.pidfd
	i.pidMu.Unlock()
	if fd < 0 {
		return nil
	}
	for {
		ms := 100
		if dl, ok := ctx.Deadline(); ok {
			ms = int(min(time.Until(dl), 100*time.Millisecond) / time.Millisecond)
		}
		if ms <= 0 {
			return fmt.Errorf("destroy %s: wait for the sandbox to exit: %w", i.id, context.DeadlineExceeded)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, ms) //nolint:gosec // a descriptor fits int32
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("destroy %s: wait for the sandbox to exit: %w", i.id, err)
		}
		if n > 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("destroy %s: wait for the sandbox to exit: %w", i.id, err)
		}
	}
}

// Procs lists the host pids in the sandbox's cgroup (its sandbox, gofer and
// platform stub processes). sandboxtest uses it to prove that a killed tree
// is gone.
func (i *instance) Procs() []int {
	return cgroupProcs(i.cgroupDir())
}
