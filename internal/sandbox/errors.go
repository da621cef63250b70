package sandbox

import "errors"

// ErrUnavailable means the driver cannot run on this host at all (missing
// kernel feature, not root, no cgroups, no KVM). Driver.Available wraps it
// with the human reason. The caller should pick another driver or report the
// reason in /health; retrying will not help until the host changes.
var ErrUnavailable = errors.New("sandbox driver unavailable on this host")

// ErrUnsupported means the Spec asks for an optional feature the driver does
// not offer (see Capabilities), e.g. Network on a driver without networking.
// The caller should not retry with the same Spec: pick a driver whose
// Capabilities include the feature, or reject the function's configuration.
var ErrUnsupported = errors.New("feature not supported by this sandbox driver")

// ErrInvalidSpec means the Spec or a request is malformed (unknown runtime,
// limits out of range, unreadable code dir). It is a caller bug or bad
// configuration: fix the input, do not retry.
var ErrInvalidSpec = errors.New("invalid sandbox spec")

// ErrInstanceDead means the instance can no longer serve calls: its process
// exited, it was killed (timeout, out of memory), its load failed, or it was
// destroyed. The caller should Destroy it (idempotent) and use a new one.
var ErrInstanceDead = errors.New("sandbox instance is dead")

// ErrInstanceBusy means Load or Invoke was called while another Load or
// Invoke was running on the same instance. An instance serves one call at a
// time; this is a caller bug: serialise calls per instance (the pool does).
var ErrInstanceBusy = errors.New("sandbox instance is busy")

// ErrNotLoaded means Invoke was called before a successful Load. Call Load
// first; a pre-warmed instance has no function until then.
var ErrNotLoaded = errors.New("sandbox instance has no function loaded")

// ErrAlreadyLoaded means Load was called twice. An instance serves exactly
// one function version for its whole life; create a new instance instead.
var ErrAlreadyLoaded = errors.New("sandbox instance already has a function loaded")

// ErrNotStarted means a pipelined Invoke (see Pipeliner) never began: the
// call ahead of it on the instance died without answering, and the
// bootstrap runs calls one at a time. The instance is dead; the call ran
// nowhere and may be run on another instance.
var ErrNotStarted = errors.New("invocation never started: the instance died before its turn")

// ErrAborted means Invoke was cut short by its context (cancelled, or its
// deadline passed before the request's own Deadline) or by a concurrent
// Destroy. The instance is dead. The accompanying Result is still filled in
// (StatusKilled, ReasonAborted, logs delivered so far) so the caller can
// record the execution; do not retry on this instance.
var ErrAborted = errors.New("invocation aborted")

// ErrPayloadTooLarge means the event exceeds MaxEventBytes. Reject the
// request (HTTP 413); the instance is unaffected and still usable.
var ErrPayloadTooLarge = errors.New("event payload too large")
