package queue

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

// Invoker runs a call (*engine.Engine).
type Invoker interface {
	Invoke(ctx context.Context, c engine.Call) (*engine.Outcome, error)
}

// Functions reads what a worker needs to run a call (core.Store).
type Functions interface {
	Function(ctx context.Context, ownerID, idOrName string) (*core.Function, error)
	Version(ctx context.Context, ownerID, functionID string, number int) (*core.Version, error)
	Execution(ctx context.Context, ownerID, id string) (*core.Execution, error)
}

// DeadLetterHook is told about every execution that is dead-lettered,
// after its record has been handed to the recorder: the place to plug an
// invocation.failed notification in. It runs on the worker's goroutine and
// must return quickly, queueing any slow work.
type DeadLetterHook interface {
	DeadLettered(ctx context.Context, e *core.Execution)
}

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	Invoker   Invoker
	Functions Functions
	// Concurrency is how many calls this worker runs at once.
	Concurrency int
	// Hook, if set, is told about dead-lettered executions.
	Hook DeadLetterHook
	Log  *zap.Logger
}

// Worker runs asynchronous calls from the shared consumer. Workers on many
// nodes may consume at once; each message goes to one of them at a time.
//
// Lifecycle: Start once, then Stop once. Stop stops pulling, lets the calls
// in flight finish for a grace period, then aborts the rest (they are
// redelivered), and returns once every finished call is acknowledged.
type Worker struct {
	q    *Queue
	opts WorkerOptions
	log  *zap.Logger

	stopPull func() // stops fetching new messages
	abort    func() // cancels the calls in flight
	loops    sync.WaitGroup
	settling sync.WaitGroup // acknowledgements waiting for records to be written
}

// Worker timing.
const (
	pullWait       = 5 * time.Second
	pullErrorPause = time.Second
	busyPauseMin   = 20 * time.Millisecond
	busyPauseMax   = time.Second
	lookupRetry    = 5 * time.Second
	settleTimeout  = 30 * time.Second
	retryJitter    = 0.2
)

// NewWorker returns a worker consuming q's async calls.
func NewWorker(q *Queue, opts WorkerOptions) *Worker {
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	return &Worker{q: q, opts: opts, log: opts.Log}
}

// Start begins consuming with opts.Concurrency slots. The worker keeps
// ctx's values but not its cancellation: Stop ends it, in order.
func (w *Worker) Start(ctx context.Context) {
	base := context.WithoutCancel(ctx)
	pullCtx, stopPull := context.WithCancel(base)
	runCtx, abort := context.WithCancel(base)
	w.stopPull, w.abort = stopPull, abort
	for range max(w.opts.Concurrency, 1) {
		w.loops.Go(func() { w.loop(pullCtx, runCtx) })
	}
}

// Stop stops pulling, waits up to grace for the calls in flight, aborts
// the rest (they are redelivered later) and waits for acknowledgements.
func (w *Worker) Stop(grace time.Duration) {
	if w.stopPull == nil {
		return
	}
	w.stopPull()
	done := make(chan struct{})
	go func() { w.loops.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		w.log.Warn("async calls still running at shutdown; aborting them for redelivery")
		w.abort()
		<-done
	}
	w.settling.Wait()
	w.abort()
}

// loop pulls one message at a time while it has a free slot.
func (w *Worker) loop(pullCtx, runCtx context.Context) {
	for pullCtx.Err() == nil {
		fctx, cancel := context.WithTimeout(pullCtx, pullWait)
		msg, err := w.q.cons.Next(jetstream.FetchContext(fctx))
		cancel()
		switch {
		case err == nil:
			w.handle(runCtx, msg)
		case errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		default:
			w.log.Warn("pull async calls", zap.Error(err))
			select {
			case <-pullCtx.Done():
			case <-time.After(pullErrorPause):
			}
		}
	}
}

// delivery is one message being handled, kept alive by in-progress acks
// until it is settled.
type delivery struct {
	msg     jetstream.Msg
	job     job
	attempt int
	stopHB  func()
}

// heartbeat sends in-progress acks until stop is called.
func (w *Worker) heartbeat(msg jetstream.Msg) (stop func()) {
	every := w.q.opts.AckWait / 3
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := msg.InProgress(); err != nil {
					w.log.Debug("in-progress ack", zap.Error(err))
				}
			}
		}
	})
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	j, err := jobOf(msg)
	if err != nil {
		w.log.Error("dropping a malformed async message", zap.Error(err))
		_ = msg.Term()
		return
	}
	meta, err := msg.Metadata()
	if err != nil {
		w.log.Error("dropping an async message without metadata", zap.String("execution_id", j.executionID), zap.Error(err))
		_ = msg.Term()
		return
	}
	d := &delivery{msg: msg, job: j, attempt: attemptOf(meta.NumDelivered), stopHB: w.heartbeat(msg)}
	settled := false
	defer func() {
		if !settled {
			d.stopHB()
		}
	}()

	fn, err := w.function(ctx, j)
	switch {
	case errors.Is(err, errFunctionGone):
		// Deleted with its executions: nothing left to run or record.
		w.log.Debug("async call of a deleted function dropped", zap.String("execution_id", j.executionID))
		_ = msg.Ack()
		return
	case errors.Is(err, errVersionGone):
		settled = true
		w.deadLetter(ctx, d, failedWithout(j, fn, d.attempt, ReasonVersionDeleted,
			"version "+j.version+" of the function was deleted before the call ran"))
		return
	case err != nil:
		w.log.Warn("load function for async call; retrying", zap.String("execution_id", j.executionID), zap.Error(err))
		w.requeue(d, lookupRetry)
		return
	}
	if d.attempt > fn.MaxAttempts() {
		// Delivered again after its last attempt was cut short (a crash or
		// a shutdown): not run again.
		settled = true
		w.exhausted(ctx, d, fn)
		return
	}

	out, err := w.invoke(ctx, d, fn)
	switch {
	case ctx.Err() != nil || errors.Is(err, engine.ErrClosed):
		w.log.Info("async call aborted by shutdown; it will run again", zap.String("execution_id", j.executionID))
		w.requeue(d, 0)
	case core.ErrorCode(err) == core.CodeQuotaExceeded:
		// The owner's monthly quota ran out after the call was accepted.
		// Not retried: a later attempt is admitted as a retry, unbilled.
		settled = true
		var quota *core.Error
		_ = errors.As(err, &quota) // the code says it is one
		exec := failedWithout(j, fn, d.attempt, ReasonQuotaExceeded, quota.Message)
		exec.Error.Type = "QuotaExceeded"
		w.deadLetter(ctx, d, exec)
	case err != nil:
		w.log.Warn("async call failed in the platform", zap.String("execution_id", j.executionID), zap.Error(err))
		settled = true
		w.failed(ctx, d, fn, failedWithout(j, fn, d.attempt, engine.ReasonPlatformError, "the platform could not run this call"))
	case out.Execution.Status == core.ExecSucceeded:
		settled = true
		w.q.metrics.runs.WithLabelValues(outcomeSucceeded).Inc()
		w.q.End(engine.LogRef{OwnerID: j.ownerID, FunctionID: j.functionID, ExecutionID: j.executionID}, core.ExecSucceeded)
		w.settle(d, j.executionID)
	default:
		settled = true
		w.failed(ctx, d, fn, out.Execution)
	}
}

var (
	errFunctionGone = errors.New("queue: function deleted")
	errVersionGone  = errors.New("queue: version deleted")
)

// function loads the function as the call runs it.
func (w *Worker) function(ctx context.Context, j job) (*core.Function, error) {
	fn, err := w.opts.Functions.Function(ctx, j.ownerID, j.functionID)
	if core.IsNotFound(err) {
		return nil, errFunctionGone
	}
	if err != nil || j.version == core.LatestVersion {
		return fn, err
	}
	n, _ := core.ParseVersion(j.version)
	v, err := w.opts.Functions.Version(ctx, j.ownerID, fn.ID, n)
	if core.IsNotFound(err) {
		return fn, errVersionGone
	}
	if err != nil {
		return nil, err
	}
	at := v.Apply(*fn)
	return &at, nil
}

// invoke runs the call, waiting while the function or its owner's account
// is at its concurrency cap (the message is kept alive meanwhile, and no
// attempt is spent).
func (w *Worker) invoke(ctx context.Context, d *delivery, fn *core.Function) (*engine.Outcome, error) {
	pause := busyPauseMin
	for {
		out, err := w.opts.Invoker.Invoke(ctx, engine.Call{
			Function: fn, Version: d.job.version, Event: d.job.event, Trigger: core.TriggerAsync,
			ExecutionID: d.job.executionID, Attempt: d.attempt, KeepStreamOpen: true,
		})
		if !busy(err) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, busyPauseMax)
	}
}

// busyRetryAfter is the longest Retry-After of a refusal the worker waits
// out: the account's concurrency limit asks for a second; a used-up monthly
// quota, for the rest of the month.
const busyRetryAfter = time.Minute

// busy reports a refusal that waiting a moment gets past: the function's
// concurrency cap, or its owner's concurrent executions.
func busy(err error) bool {
	var e *core.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code == core.CodeRateLimited ||
		(e.Code == core.CodeQuotaExceeded && e.RetryAfter > 0 && e.RetryAfter <= busyRetryAfter)
}

func refOf(e *core.Execution) engine.LogRef {
	return engine.LogRef{OwnerID: e.OwnerID, FunctionID: e.FunctionID, ExecutionID: e.ID}
}
