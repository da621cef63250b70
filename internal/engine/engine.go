package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/usage"
)

// Options configure an Engine.
type Options struct {
	Driver   sandbox.Driver
	Recorder *Recorder
	Log      *zap.Logger
	// IdleTTL is how long a warm instance may sit unused before it is
	// destroyed (scale to zero).
	IdleTTL time.Duration
	// MaxProcs and TmpSizeMB are the per-instance process and /tmp limits.
	MaxProcs  int
	TmpSizeMB int
	// Registerer receives the engine's metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// Logs publishes every line a function prints as it prints it, and
	// the end of every execution; nil publishes nothing.
	Logs LogPublisher
	// PoolMemoryMB is the memory (counted in limits) pre-warmed instances
	// may hold; 0 disables pre-warming.
	PoolMemoryMB int
	// MaxCalls recycles an instance after this many calls; 0 never does.
	MaxCalls int
	// MaxMemoryFraction recycles an idle instance using more than this
	// share of its memory limit (a function leaking module state); 0
	// never does.
	MaxMemoryFraction float64
	// Admission, if set, admits every call against its owner's plan
	// before it takes a slot (see admission.go).
	Admission Admission
	// QueueAfter is how many busy instances a function's code must have
	// before a call may wait for one of them rather than start another
	// (see routing.go); 0 means twice the host's CPUs.
	QueueAfter int
	// MaxPipelined bounds the calls pipelined behind the one running on an
	// instance whose driver pipelines (see routing.go); 0 means
	// DefaultMaxPipelined, negative never pipelines.
	MaxPipelined int
	// MaxBoots bounds the sandboxes booting at once for calls; the rest
	// wait their turn, so a burst of cold starts does not slow every boot
	// past its timeout. 0 means twice the host's CPUs.
	MaxBoots int
	// BillingGranularityMS rounds billed time up to whole granules (1 ms
	// when not positive).
	BillingGranularityMS int64
	// SnapshotAfter: when the driver implements sandbox.LoadedSnapshots, a
	// function whose load (its init code) took at least this long gets an
	// image taken after its load, and its later cold starts restore that
	// instead of loading. 0 means DefaultSnapshotAfter; negative, never.
	SnapshotAfter time.Duration
}

// DefaultSnapshotAfter is Options.SnapshotAfter's default. On gVisor,
// restoring a function's loaded image costs about what restoring the bare
// runtime before its load does (BenchmarkLoadedVsLoad), so a load this slow
// is worth an image; the background build costs one more boot, load and
// checkpoint per function version.
const DefaultSnapshotAfter = 100 * time.Millisecond

// Engine runs invocations. It is safe for concurrent use.
type Engine struct {
	opts    Options
	log     *zap.Logger
	metrics *metrics
	pool    *prewarm // nil when disabled or the driver cannot pre-warm

	mu       sync.Mutex
	warm     map[string][]*instance // idle instances by code key, most recent last
	traffic  map[string]*keyLoad    // busy instances and waiting calls by code key
	open     map[string][]*instance // busy instances that take pipelined calls, by code key
	current  map[string]string      // the latest code key of each group
	imaged   map[string]bool        // groups the driver was asked to image (snapshots)
	coldTime map[core.Runtime]time.Duration
	inflight map[string]int // running calls by function id
	closed   bool
	// queueAfter is Options.QueueAfter or its default.
	queueAfter int
	// maxPipelined is Options.MaxPipelined or its default; pipeAfter is
	// how many busy instances a key needs before calls are pipelined, and
	// pipeWait the longest wait a pipelined call is expected to have.
	maxPipelined, pipeAfter int
	pipeWait                time.Duration

	boots     chan struct{}           // a slot per sandbox booting for a call
	teardown  sync.WaitGroup          // background destroys of stale instances
	snapshots sandbox.LoadedSnapshots // nil when the driver has none or SnapshotAfter < 0
}

// New returns an engine; call Run to reap idle instances and Close to stop.
func New(opts Options) *Engine {
	e := &Engine{
		opts: opts, log: opts.Log, warm: map[string][]*instance{}, open: map[string][]*instance{}, traffic: map[string]*keyLoad{}, current: map[string]string{},
		imaged:   map[string]bool{},
		coldTime: map[core.Runtime]time.Duration{}, inflight: map[string]int{}, queueAfter: opts.QueueAfter,
	}
	if e.queueAfter <= 0 {
		e.queueAfter = 2 * runtime.NumCPU()
	}
	e.pipeWait = pipelineWait
	switch e.maxPipelined, e.pipeAfter = opts.MaxPipelined, runtime.NumCPU(); {
	case e.maxPipelined == 0:
		e.maxPipelined = DefaultMaxPipelined
	case e.maxPipelined < 0:
		e.maxPipelined = 0
	}
	maxBoots := opts.MaxBoots
	if maxBoots <= 0 {
		maxBoots = 2 * runtime.NumCPU()
	}
	e.boots = make(chan struct{}, maxBoots)
	if e.opts.SnapshotAfter == 0 {
		e.opts.SnapshotAfter = DefaultSnapshotAfter
	}
	if ls, ok := opts.Driver.(sandbox.LoadedSnapshots); ok && e.opts.SnapshotAfter > 0 {
		e.snapshots = ls
	}
	if opts.PoolMemoryMB > 0 && opts.Driver.Capabilities().LiveCodeDir {
		seeds := []class{{core.RuntimeNode, core.DefaultMemoryMB}, {core.RuntimePython, core.DefaultMemoryMB}}
		e.pool = newPrewarm(opts.Driver, sandbox.Spec{MaxProcs: opts.MaxProcs, TmpSizeMB: opts.TmpSizeMB},
			opts.PoolMemoryMB, seeds, opts.Log.Named("prewarm"))
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	e.metrics = newMetrics(reg, e)
	return e
}

// Call is one invocation request.
type Call struct {
	Function *core.Function // with its code
	Version  string         // "$LATEST" or a version number
	Event    []byte         // JSON
	Trigger  string         // "api", "http" or "async"
	// Live, if set, receives each log line as it is printed.
	Live sandbox.LogSink
	// ExecutionID, if set, runs the call under this id: an asynchronous
	// call recorded as queued earlier. Empty gives the call a new id.
	ExecutionID string
	// Attempt numbers this run of the execution, from 1 (0 means 1).
	Attempt int
	// KeepStreamOpen leaves the execution's live log stream open when the
	// call ends: the caller ends it (an asynchronous attempt that may be
	// retried).
	KeepStreamOpen bool
}

// Outcome is a finished invocation: its record and the handler's result as
// raw JSON (nil unless it succeeded).
type Outcome struct {
	Execution core.Execution
	Result    []byte
}

// ErrClosed means the engine is shutting down; answer 503.
var ErrClosed = errors.New("engine: shutting down")

// Invoke runs one call to completion and records it. A handler failure is
// an Outcome with status failed, not an error; errors are the platform's
// (concurrency cap, sandbox failure, shutdown). The execution is recorded
// as running while it runs; its output is published live to Options.Logs.
func (e *Engine) Invoke(ctx context.Context, c Call) (out *Outcome, err error) {
	fn := c.Function
	if len(c.Event) > sandbox.MaxEventBytes {
		return nil, core.Errorf(core.CodePayloadTooLarge, "the event is larger than %d MiB", sandbox.MaxEventBytes>>20)
	}
	done, err := e.admit(ctx, &c)
	if err != nil {
		return nil, err
	}
	defer func() { done(admitted(out)) }()
	if err := e.acquire(fn); err != nil {
		return nil, err
	}
	defer e.release(fn.ID)

	id, err := executionID(&c)
	if err != nil {
		return nil, err
	}
	exec := core.Execution{
		ID: id, FunctionID: fn.ID, OwnerID: fn.OwnerID, FunctionName: fn.Name,
		Version: c.Version, Trigger: c.Trigger, MemoryMB: fn.MemoryMB, StartedAt: time.Now().UTC(),
	}
	exec.Input, exec.InputTruncated = capBytes(c.Event, core.MaxRecordedInput)
	logs := newLogBuffer(core.MaxRecordedLogs, e.begin(&exec, &c))
	defer func() { e.end(&c, &exec, out) }()

	key := codeKey(fn, c.Version)
	var res sandbox.Result
	for attempt := 1; ; attempt++ {
		inst, failed, err := e.instanceFor(ctx, fn, c.Version, key, &exec, logs)
		if failed != nil || err != nil {
			return failed, err
		}
		began := time.Now()
		res, err = inst.sb.Invoke(ctx, sandbox.Request{
			ID:       exec.ID,
			Event:    c.Event,
			Deadline: began.Add(time.Duration(fn.TimeoutMS) * time.Millisecond),
		}, logs.sink)
		if attempt < maxReroutes && (errors.Is(err, sandbox.ErrNotStarted) || errors.Is(err, sandbox.ErrInstanceDead)) {
			// It never ran: the instance died while idle, or the call
			// ahead of it there took it down.
			e.abandon(key, inst)
			continue
		}
		switch {
		case err != nil && !errors.Is(err, sandbox.ErrAborted):
			e.lose(key, inst, retiredCrash)
			return nil, fmt.Errorf("engine: invoke %s: %w", fn.ID, err)
		case res.Dead || err != nil:
			e.lose(key, inst, deathReason(res))
		default:
			// The sandbox's own time: under load the host's includes the
			// time its reader and the other instances took the CPU.
			e.handOff(key, inst, cmp.Or(res.RunTime, res.Duration))
		}
		break
	}
	exec.Status, exec.Reason = core.ExecStatus(res.Status), string(res.Reason)
	exec.Error = toCoreError(res.Error)
	exec.DurationMS = res.Duration.Milliseconds()
	exec.LogsTruncated = res.LogsTruncated
	return e.finish(fn, exec, logs, res.Payload), nil
}

// maxReroutes bounds how often a call is routed again after the instance
// it was given died before the call ran.
const maxReroutes = 3

// instanceFor routes a call of key to an instance: an idle one of key, a
// busy one it is pipelined into, or a new one. A new one that cannot load
// the function ends the call: failed is its outcome.
func (e *Engine) instanceFor(ctx context.Context, fn *core.Function, version, key string, exec *core.Execution, logs *logBuffer) (inst *instance, failed *Outcome, err error) {
	inst, w, budget, fromZero := e.route(key, groupOf(fn, version), fn.Runtime)
	if w != nil {
		inst = e.await(ctx, key, fn.Runtime, w, budget)
	}
	exec.ColdStart = inst == nil
	if inst != nil {
		return inst, nil, nil
	}
	if e.isClosed() {
		e.booting(key, -1)
		e.retire(key)
		return nil, nil, ErrClosed
	}
	var loadErr *sandbox.LoadError
	var how string
	began := time.Now()
	inst, how, err = e.start(ctx, fn, version, key)
	e.booting(key, -1)
	why := coldScaleOut
	if fromZero {
		why = coldFromZero
	}
	e.metrics.coldStart(fn.Runtime, how, why)
	switch {
	case errors.As(err, &loadErr):
		e.retire(key)
		exec.Status, exec.Reason = core.ExecFailed, string(loadErr.Reason)
		exec.Error = toCoreError(loadErr.Err)
		return nil, e.finish(fn, *exec, logs, nil), nil
	case err != nil:
		e.retire(key)
		return nil, nil, err
	}
	e.observeColdStart(fn.Runtime, time.Since(began))
	e.started(key, inst)
	return inst, nil, nil
}

// finish completes and records exec.
func (e *Engine) finish(fn *core.Function, exec core.Execution, logs *logBuffer, payload []byte) *Outcome {
	exec.FinishedAt = time.Now().UTC()
	exec.BilledMS = usage.Billed(exec.DurationMS, e.opts.BillingGranularityMS)
	var truncated bool
	exec.Logs, truncated = logs.String()
	exec.LogsTruncated = exec.LogsTruncated || truncated
	if exec.Status == core.ExecSucceeded {
		exec.Output, exec.OutputTruncated = capBytes(payload, core.MaxRecordedOutput)
	}
	e.metrics.observe(fn.Runtime, &exec)
	if err := e.opts.Recorder.Add(exec); err != nil {
		e.log.Warn("execution not recorded", zap.String("execution_id", exec.ID), zap.Error(err))
	}
	return &Outcome{Execution: exec, Result: payload}
}

// deathReason is why an instance died in a call, for its retired count:
// one of a few reasons, so that a label value stays one of a few.
func deathReason(res sandbox.Result) string {
	if res.Status == sandbox.StatusSucceeded {
		// Its deadline or cancellation struck as it answered.
		return retiredKilled
	}
	switch res.Reason {
	case sandbox.ReasonTimeout, sandbox.ReasonOutOfMemory, sandbox.ReasonPidsLimit, sandbox.ReasonAborted, sandbox.ReasonProtocol:
		return string(res.Reason)
	}
	return retiredCrash // an exit status, a signal, ReasonCrash
}

func toCoreError(fe *sandbox.FunctionError) *core.FunctionError {
	if fe == nil {
		return nil
	}
	return &core.FunctionError{Type: fe.Type, Message: fe.Message, Stack: fe.Stack}
}

func capBytes(b []byte, limit int) ([]byte, bool) {
	if len(b) <= limit {
		return b, false
	}
	return b[:limit], true
}

// acquire takes one of the function's concurrency slots.
func (e *Engine) acquire(fn *core.Function) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	limit := fn.MaxConcurrency
	if limit <= 0 {
		limit = core.DefaultMaxConcurrency
	}
	if e.inflight[fn.ID] >= limit {
		return &core.Error{
			Code:    core.CodeRateLimited,
			Message: fmt.Sprintf("function %s is running its maximum of %d concurrent executions; retry shortly", fn.Name, limit),
		}
	}
	e.inflight[fn.ID]++
	return nil
}

func (e *Engine) release(fnID string) {
	e.mu.Lock()
	if e.inflight[fnID]--; e.inflight[fnID] <= 0 {
		delete(e.inflight, fnID)
	}
	e.mu.Unlock()
}

// Ways a cold start got its sandbox, for metrics.
const (
	startPrewarmed = "prewarmed"
	startBoot      = "boot"
	startSnapshot  = "snapshot"
)

// start gets a loaded instance for the function (key is its codeKey):
// restored from an image taken after its load when there is one
// (sandbox.LoadedSnapshots), else a pre-warmed or a new sandbox with the
// code written in and the handler loaded. A pre-warmed instance that fails for the platform's reasons (it
// died while waiting) is replaced by a new one once; a failed restore is
// replaced by a load.
func (e *Engine) start(ctx context.Context, fn *core.Function, version, key string) (*instance, string, error) {
	spec := e.spec(fn, version)
	if e.snapshots != nil {
		sb, err := e.snapshots.CreateLoaded(ctx, key, spec, codeFiller(fn))
		if err != nil {
			e.log.Warn("restore a function snapshot; loading instead", zap.String("function", fn.ID), zap.Error(err))
		}
		if sb != nil {
			return e.newInstance(sb, fn, version), startSnapshot, nil
		}
	}
	if e.pool != nil {
		if sb := e.pool.take(class{fn.Runtime, fn.MemoryMB}, fn.OwnerID); sb != nil {
			if a, ok := sb.(sandbox.Activator); ok {
				if err := a.Activate(); err != nil {
					e.log.Warn("activate a pre-warmed sandbox", zap.Error(err))
				}
			}
			inst, err := e.load(ctx, sb, fn, version, key, spec)
			var loadErr *sandbox.LoadError
			if err == nil || errors.As(err, &loadErr) {
				return inst, startPrewarmed, err
			}
			e.log.Warn("pre-warmed sandbox failed; booting a new one", zap.Error(err))
		}
	}
	select {
	case e.boots <- struct{}{}:
		defer func() { <-e.boots }()
	case <-ctx.Done():
		return nil, startBoot, ctx.Err()
	}
	sb, err := e.opts.Driver.Create(ctx, spec)
	if err != nil {
		return nil, startBoot, fmt.Errorf("engine: start sandbox: %w", err)
	}
	inst, err := e.load(ctx, sb, fn, version, key, spec)
	return inst, startBoot, err
}

// spec is the sandbox a function version runs in.
func (e *Engine) spec(fn *core.Function, version string) sandbox.Spec {
	return sandbox.Spec{
		Runtime:   string(fn.Runtime),
		MemoryMB:  fn.MemoryMB,
		MaxProcs:  e.opts.MaxProcs,
		TmpSizeMB: e.opts.TmpSizeMB,
		Labels:    map[string]string{"function": fn.ID, "version": version},
	}
}

// codeFiller writes the function's code into a sandbox's code dir.
func codeFiller(fn *core.Function) func(string) error {
	return func(dir string) error { return bundle.Extract(fn.Code, dir) }
}

// load writes the function's code into a fresh instance and loads its
// handler; on failure the instance is destroyed. A load slow enough to be
// worth skipping next time asks the driver for an image of it.
func (e *Engine) load(ctx context.Context, sb sandbox.Instance, fn *core.Function, version, key string, spec sandbox.Spec) (*instance, error) {
	inst := e.newInstance(sb, fn, version)
	fill := codeFiller(fn)
	if err := fill(sb.CodeDir()); err != nil {
		e.destroy(inst, retiredLoad)
		return nil, fmt.Errorf("engine: write code: %w", err)
	}
	req := sandbox.LoadRequest{
		Handler: fn.Handler, Env: fn.Env, FunctionName: fn.Name, FunctionVersion: version, MemoryMB: fn.MemoryMB,
	}
	began := time.Now()
	err := sb.Load(ctx, req)
	if err != nil {
		e.destroy(inst, retiredLoad)
		var loadErr *sandbox.LoadError
		if errors.As(err, &loadErr) {
			return nil, err
		}
		return nil, fmt.Errorf("engine: load function: %w", err)
	}
	if took := time.Since(began); e.snapshots != nil && took >= e.opts.SnapshotAfter {
		if e.snapshots.SnapshotLoaded(inst.group, key, spec, fill, req) {
			e.mu.Lock()
			e.imaged[inst.group] = true
			e.mu.Unlock()
			e.log.Debug("snapshotting a slow-loading function", zap.String("function", fn.ID), zap.Duration("load", took))
		}
	}
	return inst, nil
}
