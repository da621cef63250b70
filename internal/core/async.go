package core

import "time"

// TriggerAsync is the Trigger of an execution invoked asynchronously.
const TriggerAsync = "async"

// Retry settings of asynchronous invocations, per function.
const (
	DefaultAsyncMaxAttempts = 3
	MaxAsyncMaxAttempts     = 20
	DefaultAsyncRetryBaseMS = 1000
	MinAsyncRetryBaseMS     = 100
	MaxAsyncRetryBaseMS     = 3_600_000
	// MaxAsyncRetryDelay caps the delay before any one retry, however
	// many attempts came before.
	MaxAsyncRetryDelay = time.Hour
)

// RetryDelay is how long an asynchronous call waits after its attempt-th
// run failed: the function's base delay doubled for every earlier attempt,
// capped at MaxAsyncRetryDelay (before any jitter the caller adds).
func (f *Function) RetryDelay(attempt int) time.Duration {
	base := time.Duration(f.AsyncRetryBaseMS) * time.Millisecond
	if base <= 0 {
		base = DefaultAsyncRetryBaseMS * time.Millisecond
	}
	d := base
	for i := 1; i < attempt && d < MaxAsyncRetryDelay; i++ {
		d *= 2
	}
	return min(d, MaxAsyncRetryDelay)
}

// MaxAttempts is how many times an asynchronous call of f may run.
func (f *Function) MaxAttempts() int {
	if f.AsyncMaxAttempts < 1 {
		return DefaultAsyncMaxAttempts
	}
	return f.AsyncMaxAttempts
}

// Supersedes reports whether e is a later state of the same execution than
// old, or the same state again. Records of one execution can reach a store
// out of order (an API node records it queued while a worker node has
// already run it; attempts of a retried call run on different workers), so
// the recorder and the stores keep the latest state by this rule: more
// attempts supersede fewer; with as many, any status supersedes queued, and
// queued supersedes only queued.
func (e *Execution) Supersedes(old *Execution) bool {
	if e.Attempts != old.Attempts {
		return e.Attempts > old.Attempts
	}
	return e.Status != ExecQueued || old.Status == ExecQueued
}

// Done reports whether the execution has reached its final state. An
// asynchronous call is done once it succeeded or was dead-lettered: a
// failed attempt is retried. Any other call is done once it has finished.
func (e *Execution) Done() bool {
	if e.Trigger == TriggerAsync {
		return e.Status == ExecSucceeded || e.Status == ExecDeadLettered
	}
	return e.Status != ExecQueued && e.Status != ExecRunning && e.Status != ""
}

// LogLine is one line an execution printed, as live log streams carry it.
// Stream is "stdout", "stderr" or "system" (platform notes).
type LogLine struct {
	ExecutionID string    `json:"execution_id"`
	TS          time.Time `json:"ts"`
	Stream      string    `json:"stream"`
	Line        string    `json:"line"`
}

// LogEnd ends an execution's live log stream with its final status.
type LogEnd struct {
	Type        string     `json:"type"` // always "end"
	ExecutionID string     `json:"execution_id"`
	Status      ExecStatus `json:"status"`
}

// NewLogEnd is the end message of execution id with status.
func NewLogEnd(id string, status ExecStatus) LogEnd {
	return LogEnd{Type: "end", ExecutionID: id, Status: status}
}
