package engine

import (
	"context"

	"github.com/voltrun/voltrun/internal/core"
)

// Admission decides whether a call may run, before the engine takes one of
// its function's slots: the owner's plan and quotas (internal/usage.Quotas
// in production). Implementations must be safe for concurrent use and must
// not wait on the database on the hot path.
type Admission interface {
	// Admit reserves the call against fn's owner's plan, or refuses it
	// with a *core.Error (CodeQuotaExceeded). retry marks a later attempt
	// of an execution already admitted once (an asynchronous retry): it
	// takes a concurrent slot but is not counted again. The engine calls
	// release exactly once when the call ends, with its execution record
	// when it produced a billable one, else nil.
	Admit(ctx context.Context, fn *core.Function, retry bool) (release func(*core.Execution), err error)
}

// admit runs the configured Admission; without one every call is admitted.
func (e *Engine) admit(ctx context.Context, c *Call) (func(*core.Execution), error) {
	if e.opts.Admission == nil {
		return func(*core.Execution) {}, nil
	}
	return e.opts.Admission.Admit(ctx, c.Function, c.Attempt > 1)
}

// admitted is the record a call's admission is released with: the
// outcome's execution, or nil when the call produced none (a platform
// error, which is not billed).
func admitted(out *Outcome) *core.Execution {
	if out == nil {
		return nil
	}
	return &out.Execution
}
