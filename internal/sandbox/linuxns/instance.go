//go:build linux

package linuxns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// errDestroyed is the abort cause of a call cut short by Destroy.
var errDestroyed = errors.New("instance destroyed")

// exitWait bounds how long a call that lost its runtime waits for the init
// to be reaped before classifying the death.
const exitWait = 2 * time.Second

var (
	_ sandbox.MemoryReporter = (*instance)(nil)
	_ sandbox.Activator      = (*instance)(nil)
)

type instance struct {
	d          *Driver
	id         string
	spec       sandbox.Spec
	log        *zap.Logger
	codeDir    string
	ownCodeDir bool

	cg     cgroup
	proc   *os.Process // the init, this process's child
	pipes  *hostPipes
	client *runtime.Client
	exited chan struct{} // closed once the init has been reaped
	state  *os.ProcessState

	destroyMu sync.Mutex // serialises Destroy calls (cleanup is not reentrant)

	mu        sync.Mutex
	loading   bool
	calls     int // Invokes running or queued (Pipelines)
	loaded    bool
	dead      bool
	destroyed bool
	released  bool // pipes closed
}

var _ sandbox.Instance = (*instance)(nil)

func (i *instance) ID() string      { return i.id }
func (i *instance) CodeDir() string { return i.codeDir }

// wait reaps the init; the process state is read only after exited closes.
func (i *instance) wait() {
	i.state, _ = i.proc.Wait()
	close(i.exited)
	i.mu.Lock()
	i.dead = true
	i.mu.Unlock()
}

// kill takes the whole tree down: SIGKILL to the namespace's PID 1 makes
// the kernel kill every process in it; cgroup.kill (v2) is belt and braces.
// os.Process.Signal never signals a pid that has already been reaped.
func (i *instance) kill(error) {
	if i.proc != nil {
		_ = i.proc.Signal(syscall.SIGKILL)
	}
	if i.cg != nil {
		i.cg.Kill()
	}
}

// acquire marks the instance busy for a Load (wantLoaded false) or counts
// an Invoke (which may be pipelined behind others).
func (i *instance) acquire(wantLoaded bool) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	switch {
	case i.dead || i.destroyed:
		return sandbox.ErrInstanceDead
	case i.loading || (!wantLoaded && i.calls > 0):
		return sandbox.ErrInstanceBusy
	case wantLoaded && !i.loaded:
		return sandbox.ErrNotLoaded
	case !wantLoaded && i.loaded:
		return sandbox.ErrAlreadyLoaded
	}
	if wantLoaded {
		i.calls++
	} else {
		i.loading = true
	}
	return nil
}

func (i *instance) release(loaded, dead bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.loading {
		i.loading = false
	} else {
		i.calls--
	}
	i.loaded = i.loaded || loaded
	i.dead = i.dead || dead
}

// Pipelines implements sandbox.Pipeliner: the client queues calls.
func (i *instance) Pipelines() bool { return true }

// Activate implements sandbox.Activator.
func (i *instance) Activate() error { return i.cg.Activate() }

// Load implements sandbox.Instance.
func (i *instance) Load(ctx context.Context, fn sandbox.LoadRequest) error {
	if err := i.acquire(false); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if fn.MemoryMB == 0 {
		fn.MemoryMB = i.spec.MemoryMB
	}
	err := i.client.Load(ctx, fn)
	var le *sandbox.LoadError
	switch {
	case err == nil:
		i.release(true, false)
		return nil
	case errors.As(err, &le):
		// A half-imported module is no state to serve calls from.
		i.release(false, true)
		i.kill(nil)
		return err
	default:
		i.release(false, true)
		i.kill(nil)
		return fmt.Errorf("load: %w", err)
	}
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
// call: the OOM killer, the pids limit, a signal, or an exit.
func (i *instance) classifyExit(res sandbox.Result) sandbox.Result {
	res.Dead = true
	select {
	case <-i.exited:
	case <-time.After(exitWait):
		i.kill(nil)
		<-i.exited
	}
	code := -1
	if i.state != nil { // nil when Wait failed
		if ws, ok := i.state.Sys().(syscall.WaitStatus); ok && ws.Exited() {
			code = ws.ExitStatus()
		}
	}
	switch {
	case i.cg.OOMKills() > 0 || i.client.SawHeapOOM():
		res.Status, res.Reason = sandbox.StatusKilled, sandbox.ReasonOutOfMemory
		res.Error = &sandbox.FunctionError{Type: "Runtime.OutOfMemory", Message: fmt.Sprintf("the function exceeded its memory limit of %d MB and was killed", i.spec.MemoryMB)}
	case code > 128 && i.cg.PidsRefusals() > 0:
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonPidsLimit
		res.Error = &sandbox.FunctionError{Type: "Runtime.PidsLimit", Message: fmt.Sprintf("the runtime crashed after reaching the limit of %d processes and threads", i.spec.MaxProcs)}
	case code > 128 || code < 0:
		sig := syscall.Signal(code - 128)
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ReasonCrash
		res.Error = &sandbox.FunctionError{Type: "Runtime.Crash", Message: fmt.Sprintf("the runtime was killed by signal %d (%v)", int(sig), sig)}
	default:
		res.Status, res.Reason = sandbox.StatusFailed, sandbox.ExitCodeReason(code)
		res.Error = &sandbox.FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("the runtime exited with code %d during the invocation", code)}
	}
	return res
}

// Destroy implements sandbox.Instance.
func (i *instance) Destroy(ctx context.Context) error {
	i.destroyMu.Lock()
	defer i.destroyMu.Unlock()
	i.mu.Lock()
	i.destroyed, i.dead = true, true
	i.mu.Unlock()
	if i.client != nil {
		i.client.Abort(errDestroyed) // unblocks a running call; kills
	}
	i.kill(nil)
	var errs []error
	if i.proc != nil {
		select {
		case <-i.exited:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("destroy %s: wait for exit: %w", i.id, ctx.Err()))
		}
	}
	i.mu.Lock()
	release := !i.released && i.pipes != nil && len(errs) == 0
	if release {
		i.released = true
	}
	i.mu.Unlock()
	if release {
		i.pipes.close()
	}
	if i.cg != nil && len(errs) == 0 {
		if err := i.cg.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("destroy %s: %w", i.id, err))
		}
	}
	if i.ownCodeDir {
		if err := os.RemoveAll(i.codeDir); err != nil {
			errs = append(errs, fmt.Errorf("destroy %s: remove code dir: %w", i.id, err))
		}
	}
	return errors.Join(errs...)
}

// Procs lists the host pids of the instance's processes. sandboxtest uses it
// to prove that a killed tree is gone.
func (i *instance) Procs() []int {
	if i.cg == nil {
		return nil
	}
	return i.cg.Procs()
}

// MemoryBytes reports the instance's memory use from its cgroup.
func (i *instance) MemoryBytes() (uint64, error) { return i.cg.MemoryBytes() }
