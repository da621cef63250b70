package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is the outcome of an invocation, as the public API reports it.
type Status string

// Statuses. Only StatusSucceeded means the handler returned a value.
const (
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusTimeout   Status = "timeout"
	StatusKilled    Status = "killed"
)

// Reason refines a non-succeeded Status in a machine-readable way.
type Reason string

// Reasons. ExitCodeReason builds the dynamic "exit_code:N" one.
const (
	ReasonNone Reason = ""
	// ReasonError: the handler threw, rejected, or called back with an
	// error (also an uncaught exception during the call in Node).
	ReasonError Reason = "error"
	// ReasonHandlerNotFound: the module or its export does not exist or
	// is not a function.
	ReasonHandlerNotFound Reason = "handler_not_found"
	// ReasonSyntaxError: the module (or one it imports) does not parse.
	ReasonSyntaxError Reason = "syntax_error"
	// ReasonInitError: the module threw while being imported.
	ReasonInitError Reason = "init_error"
	// ReasonNonSerialisable: the return value is not JSON (BigInt,
	// circular structure, a Python set, NaN).
	ReasonNonSerialisable Reason = "non_serialisable"
	// ReasonResultTooLarge: the JSON result exceeds MaxResultBytes.
	ReasonResultTooLarge Reason = "result_too_large"
	// ReasonTimeout: the deadline passed; the whole tree was killed.
	ReasonTimeout Reason = "timeout"
	// ReasonOutOfMemory: the memory limit was hit and the kernel (or the
	// JavaScript heap limit) killed the runtime.
	ReasonOutOfMemory Reason = "out_of_memory"
	// ReasonPidsLimit: the runtime crashed after the process limit
	// refused a fork or thread.
	ReasonPidsLimit Reason = "pids_limit"
	// ReasonCrash: the runtime died from a signal for another reason.
	ReasonCrash Reason = "crash"
	// ReasonAborted: the platform aborted the call (context cancelled or
	// a concurrent Destroy); see ErrAborted.
	ReasonAborted Reason = "aborted"
	// ReasonProtocol: the sandbox broke the framed protocol (e.g. user
	// code wrote garbage on the protocol descriptor); it was killed.
	ReasonProtocol Reason = "protocol_error"
	// ReasonInvalidEvent: the event was not valid JSON.
	ReasonInvalidEvent Reason = "invalid_event"
)

const exitCodePrefix = "exit_code:"

// ExitCodeReason is the reason for a runtime that exited by itself with
// code during a call (process.exit, sys.exit, os._exit).
func ExitCodeReason(code int) Reason {
	return Reason(exitCodePrefix + strconv.Itoa(code))
}

// ExitCode returns N for an "exit_code:N" reason.
func (r Reason) ExitCode() (int, bool) {
	s, ok := strings.CutPrefix(string(r), exitCodePrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// FunctionError describes an error attributable to the user's code, in the
// shape the API returns: {type, message, stack}.
type FunctionError struct {
	// Type is the error's class ("TypeError", "ValueError"), or a
	// platform-chosen one for runtime conditions ("Runtime.ExitError",
	// "Runtime.OutOfMemory", "Runtime.Timeout").
	Type    string `json:"type"`
	Message string `json:"message"`
	// Stack holds the user's frames, innermost first, one per entry; the
	// bootstrap's and the interpreter's internal frames are dropped.
	Stack []string `json:"stack"`
}

func (e *FunctionError) Error() string {
	return e.Type + ": " + e.Message
}

// LoadError is what Instance.Load returns when the function's own code
// failed to load. Record it as a failed execution with Reason and Err; the
// instance is dead (ErrInstanceDead on later calls) and must be destroyed.
type LoadError struct {
	Reason Reason
	Err    *FunctionError
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("load function: %s: %v", e.Reason, e.Err)
}

// Unwrap exposes the *FunctionError and ErrInstanceDead.
func (e *LoadError) Unwrap() []error { return []error{e.Err, ErrInstanceDead} }

// Result is the outcome of one invocation.
type Result struct {
	Status Status
	Reason Reason
	// Payload is the handler's return value as raw JSON, passed through
	// from the sandbox without decoding ("null" for undefined/None). Set
	// only for StatusSucceeded.
	Payload []byte
	// Error is set for StatusFailed with ReasonError-like reasons and for
	// platform-detected deaths (out of memory, exit, timeout).
	Error *FunctionError
	// Duration is the wall time from sending the request to the result
	// (or the death) as seen by the host.
	Duration time.Duration
	// RunTime is the call's time in the runtime as the sandbox reports it,
	// from taking the request to writing the answer: unlike Duration, it
	// leaves out waiting for the host to read the answer, and the CPU the
	// host's own work took meanwhile. It is the sandbox's word, so it only
	// steers where the same code's calls go (never billed); zero when the
	// sandbox did not answer.
	RunTime time.Duration
	// Dead means the instance must not be reused; Destroy it.
	Dead bool
	// LogsTruncated reports that the call's logs exceeded MaxLogBytes and
	// the excess was dropped.
	LogsTruncated bool
}

// Log streams passed to a LogSink.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	// StreamSystem carries platform notes, such as the truncation note.
	StreamSystem = "system"
)

// Log limits per invocation. Lines longer than MaxLogLineBytes are split into
// pieces of that size; once MaxLogBytes have been delivered the rest is
// dropped and a single StreamSystem line TruncatedNote is delivered.
const (
	MaxLogBytes     = 256 << 10
	MaxLogLineBytes = 16 << 10
	TruncatedNote   = "[truncated: log output exceeded 256 KiB; the rest was dropped]"
)

// LogSink receives an invocation's output live, one line at a time, without
// its trailing newline. stream is StreamStdout, StreamStderr or
// StreamSystem. Calls are serialised (never concurrent), happen only while
// the Invoke that was given the sink is running, and every line the function
// printed during the call has been delivered before Invoke returns. Output
// printed outside any call (module import, timers firing between calls) is
// held, bounded, and delivered at the start of the next call. Ordering is
// exact within a stream; across stdout and stderr it is as the host read
// the two pipes. The sink must not block for long: the function's writes
// stall while it does.
type LogSink func(stream, line string)

// Result renders a load failure as the failed invocation it causes, for a
// caller that loads on the first call (the engine records it like any other
// failed execution).
func (e *LoadError) Result() Result {
	return Result{Status: StatusFailed, Reason: e.Reason, Error: e.Err, Dead: true}
}
