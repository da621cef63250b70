package core

import (
	"context"
	"time"
)

// ExecStatus is how an execution ended (or that it has not yet).
type ExecStatus string

// Execution statuses of the public contract.
const (
	ExecQueued    ExecStatus = "queued"
	ExecRunning   ExecStatus = "running"
	ExecSucceeded ExecStatus = "succeeded"
	ExecFailed    ExecStatus = "failed"
	ExecTimeout   ExecStatus = "timeout"
	ExecKilled    ExecStatus = "killed"
	// ExecDeadLettered is an asynchronous call that failed on every
	// attempt it was allowed: it will not be retried.
	ExecDeadLettered ExecStatus = "dead_lettered"
)

// ValidExecStatus reports whether s is a status an execution can have.
func ValidExecStatus(s ExecStatus) bool {
	switch s {
	case ExecQueued, ExecRunning, ExecSucceeded, ExecFailed, ExecTimeout, ExecKilled, ExecDeadLettered:
		return true
	}
	return false
}

// Caps on what an execution record keeps; longer values are cut and
// flagged as truncated.
const (
	MaxRecordedInput  = 64 << 10
	MaxRecordedOutput = 64 << 10
	MaxRecordedLogs   = 64 << 10
)

// FunctionError is an error the function itself raised or caused.
type FunctionError struct {
	Type    string   `json:"type"`
	Message string   `json:"message"`
	Stack   []string `json:"stack"`
}

// Execution is the record of one invocation.
type Execution struct {
	ID           string         `json:"id"`
	FunctionID   string         `json:"function_id"`
	OwnerID      string         `json:"-"`
	FunctionName string         `json:"function_name"`
	Version      string         `json:"version"`
	Trigger      string         `json:"trigger"` // "api", "http" or "async"
	Status       ExecStatus     `json:"status"`
	Reason       string         `json:"reason,omitempty"` // why it failed or was killed: out_of_memory, timeout, ...
	Error        *FunctionError `json:"error"`
	// Input and Output are the event and the handler's result as JSON,
	// cut at their caps (then the *Truncated flag is set and the bytes are
	// no longer valid JSON).
	Input           []byte    `json:"-"`
	InputTruncated  bool      `json:"input_truncated"`
	Output          []byte    `json:"-"`
	OutputTruncated bool      `json:"output_truncated"`
	Logs            string    `json:"logs"`
	LogsTruncated   bool      `json:"logs_truncated"`
	ColdStart       bool      `json:"cold_start"`
	Attempts        int       `json:"attempts"` // runs so far: 0 while an async call is queued, 1 for a sync call
	MemoryMB        int       `json:"memory_mb"`
	DurationMS      int64     `json:"duration_ms"`
	BilledMS        int64     `json:"billed_ms"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
}

// ExecutionFilter narrows a list of executions.
type ExecutionFilter struct {
	FunctionID string     // required
	Status     ExecStatus // "" for any
}

// ExecutionStore keeps execution records. Records are written in batches
// by the engine's recorder, never one round trip per call.
type ExecutionStore interface {
	// SaveExecutions inserts or replaces records by id in one transaction;
	// saving the same record twice leaves one row. A record never replaces
	// a stored one that supersedes it (see Execution.Supersedes).
	SaveExecutions(ctx context.Context, execs []Execution) error
	// Execution finds an owner's execution by id (CodeNotFound otherwise).
	Execution(ctx context.Context, ownerID, id string) (*Execution, error)
	// ListExecutions lists an owner's executions newest first, without
	// input, output and logs.
	ListExecutions(ctx context.Context, ownerID string, f ExecutionFilter, p Page) (execs []Execution, next string, err error)
}
