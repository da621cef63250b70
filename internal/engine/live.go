package engine

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// LogRef names the execution a live log line belongs to.
type LogRef struct {
	OwnerID, FunctionID, ExecutionID string
}

func refOf(e *core.Execution) LogRef {
	return LogRef{OwnerID: e.OwnerID, FunctionID: e.FunctionID, ExecutionID: e.ID}
}

// LogPublisher fans executions' output out to live readers as it is printed
// (internal/queue in production).
//
// Line is called for every line on the goroutine that reads the function's
// output, so it must not block: an implementation queues the line and may
// drop it under overload (the execution record keeps its own copy). End is
// called once per execution, after its record has been handed to the
// Recorder and after its last Line; it may wait briefly so that readers
// are not left without an end. Both are safe for concurrent use.
type LogPublisher interface {
	Line(ref LogRef, stream, line string)
	End(ref LogRef, status core.ExecStatus)
}

// ReasonPlatformError is the Reason of an execution the platform failed to
// run; metering skips such executions (core.ReasonPlatformError).
const ReasonPlatformError = core.ReasonPlatformError

// executionID is the call's execution id: the caller's (an asynchronous
// call runs under the id it was queued with) or a new UUIDv7.
func executionID(c *Call) (string, error) {
	if c.ExecutionID != "" {
		return c.ExecutionID, nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("engine: execution id: %w", err)
	}
	return id.String(), nil
}

// begin records exec as running, so that it can be found (and its live
// logs followed) while it runs, and returns the sink for its output.
func (e *Engine) begin(exec *core.Execution, c *Call) sandbox.LogSink {
	exec.Attempts = max(c.Attempt, 1)
	running := *exec
	running.Status = core.ExecRunning
	if err := e.opts.Recorder.Add(running); err != nil {
		e.log.Warn("execution not recorded as running", zap.String("execution_id", exec.ID), zap.Error(err))
	}
	pub := e.opts.Logs
	if pub == nil {
		return c.Live
	}
	ref, extra := refOf(exec), c.Live
	return func(stream, line string) {
		pub.Line(ref, stream, line)
		if extra != nil {
			extra(stream, line)
		}
	}
}

// end runs as Invoke returns after begin. A call that produced no outcome
// (a platform error) is recorded as failed so that it does not stay
// running; then the execution's live stream ends, unless the caller keeps
// it open.
func (e *Engine) end(c *Call, exec *core.Execution, out *Outcome) {
	final := exec
	if out != nil {
		final = &out.Execution
	} else {
		failed := *exec
		failed.Status, failed.Reason, failed.FinishedAt = core.ExecFailed, ReasonPlatformError, time.Now().UTC()
		failed.Error = &core.FunctionError{Type: "PlatformError", Message: "the platform could not run this call"}
		if err := e.opts.Recorder.Add(failed); err != nil {
			e.log.Warn("execution not recorded", zap.String("execution_id", exec.ID), zap.Error(err))
		}
		final = &failed
	}
	if e.opts.Logs != nil && !c.KeepStreamOpen {
		e.opts.Logs.End(refOf(final), final.Status)
	}
}
