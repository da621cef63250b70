package queue

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// attemptOf is the attempt a delivery is: every delivery counts.
func attemptOf(delivered uint64) int {
	if delivered > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(delivered)
}

// failed handles a failed attempt: a retry after a backoff, or the last.
func (w *Worker) failed(ctx context.Context, d *delivery, fn *core.Function, exec core.Execution) {
	maxAttempts := fn.MaxAttempts()
	if d.attempt >= maxAttempts {
		w.deadLetter(ctx, d, exec)
		return
	}
	delay := jitter(fn.RetryDelay(d.attempt))
	w.q.Line(refOf(&exec), "system", fmt.Sprintf("attempt %d of %d ended %s; retrying in %s",
		d.attempt, maxAttempts, exec.Status, delay.Round(time.Millisecond)))
	w.q.metrics.runs.WithLabelValues(outcomeRetried).Inc()
	w.requeue(d, delay)
}

// requeue gives the message back for redelivery after delay.
func (w *Worker) requeue(d *delivery, delay time.Duration) {
	d.stopHB()
	if delay == 0 {
		w.q.metrics.runs.WithLabelValues(outcomeRequeued).Inc()
	}
	var err error
	if delay > 0 {
		err = d.msg.NakWithDelay(delay)
	} else {
		err = d.msg.Nak()
	}
	if err != nil {
		w.log.Warn("nak async call; it will be redelivered after the ack wait", zap.String("execution_id", d.job.executionID), zap.Error(err))
	}
}

// deadLetter records exec (the last attempt) as dead-lettered, ends its
// live stream, tells the hook and acknowledges once the record is written.
func (w *Worker) deadLetter(ctx context.Context, d *delivery, exec core.Execution) {
	if exec.Reason == "" {
		exec.Reason = string(exec.Status)
	}
	exec.Status = core.ExecDeadLettered
	if exec.FinishedAt.IsZero() {
		exec.FinishedAt = time.Now().UTC()
	}
	if err := w.q.opts.Recorder.Add(exec); err != nil {
		w.log.Error("dead letter not recorded; the call will be redelivered", zap.String("execution_id", exec.ID), zap.Error(err))
		d.stopHB()
		return
	}
	ref := refOf(&exec)
	w.q.Line(ref, "system", fmt.Sprintf("dead-lettered after %d attempts (%s)", exec.Attempts, exec.Reason))
	w.q.End(ref, core.ExecDeadLettered)
	w.q.metrics.runs.WithLabelValues(outcomeDeadLettered).Inc()
	if w.opts.Hook != nil {
		w.opts.Hook.DeadLettered(ctx, &exec)
	}
	w.settle(d, exec.ID)
}

// exhausted settles a call delivered after its last attempt: it is
// dead-lettered from its last record unless that is already final.
func (w *Worker) exhausted(ctx context.Context, d *delivery, fn *core.Function) {
	last, err := w.opts.Functions.Execution(ctx, d.job.ownerID, d.job.executionID)
	switch {
	case err == nil && last.Done():
		w.settle(d, d.job.executionID)
	case err == nil:
		if last.Reason == "" || last.Status == core.ExecRunning {
			last.Reason = ReasonAttemptsExhausted
		}
		w.deadLetter(ctx, d, *last)
	case core.IsNotFound(err):
		w.deadLetter(ctx, d, failedWithout(d.job, fn, fn.MaxAttempts(), ReasonAttemptsExhausted,
			"the call's last attempt was interrupted"))
	default:
		w.log.Warn("read execution of an exhausted async call; retrying", zap.String("execution_id", d.job.executionID), zap.Error(err))
		w.requeue(d, lookupRetry)
	}
}

// failedWithout is the record of an attempt that produced no outcome.
func failedWithout(j job, fn *core.Function, attempts int, reason, message string) core.Execution {
	e := core.Execution{
		ID: j.executionID, FunctionID: j.functionID, OwnerID: j.ownerID, Version: j.version,
		Trigger: core.TriggerAsync, Status: core.ExecFailed, Reason: reason, Attempts: attempts,
		Error:      &core.FunctionError{Type: "PlatformError", Message: message},
		FinishedAt: time.Now().UTC(),
	}
	e.Input, e.InputTruncated = capBytes(j.event, core.MaxRecordedInput)
	if fn != nil {
		e.FunctionName, e.MemoryMB = fn.Name, fn.MemoryMB
	}
	return e
}

// settle acknowledges the message once the execution's record is written,
// so that an acknowledged call is never missing from the database. It runs
// in the background: the slot is free for the next call meanwhile.
func (w *Worker) settle(d *delivery, id string) {
	w.settling.Go(func() {
		defer d.stopHB()
		ctx, cancel := context.WithTimeout(context.Background(), settleTimeout)
		defer cancel()
		if err := w.q.opts.Recorder.AwaitWritten(ctx, id); err != nil {
			w.log.Error("execution record not written; the call will be redelivered", zap.String("execution_id", id), zap.Error(err))
			return
		}
		if err := d.msg.DoubleAck(ctx); err != nil {
			w.log.Warn("ack async call; it may run again", zap.String("execution_id", id), zap.Error(err))
		}
	})
}

// jitter spreads d by ±20% so that retries of calls that failed together
// do not come back together.
func jitter(d time.Duration) time.Duration {
	f := 1 - retryJitter + 2*retryJitter*rand.Float64() //nolint:gosec // spreading retries needs no unpredictability
	return time.Duration(float64(d) * f)
}
