package sandbox

import "context"

// Capabilities lists a driver's optional features, so callers choose a
// driver (or refuse a function's configuration) up front instead of
// discovering ErrUnsupported at Create.
type Capabilities struct {
	// Snapshots: instances can be checkpointed and restored.
	Snapshots bool
	// Network: Spec.Network = true is honoured.
	Network bool
	// LiveCodeDir: files written into Spec.CodeDir (or Instance.CodeDir)
	// after Create are visible inside the sandbox at Load, so a pool may
	// pre-warm instances before it knows their function.
	LiveCodeDir bool
	// CgroupVersion is "v1" or "v2" for drivers that use the host's
	// cgroups, "" otherwise.
	CgroupVersion string
	// Runtimes lists the runtimes the driver can start.
	Runtimes []string
}

// Driver creates isolated instances. It is long-lived and shared: all of its
// methods are safe for concurrent use, and the Instances it returns are
// independent of each other.
//
// Lifecycle: construct the driver in cmd/, call Available once at start-up
// (and report it in /health), then Create as often as needed. Drivers hold
// no instance registry the caller must drain; each Instance is owned by
// whoever created it and must be Destroyed by them.
type Driver interface {
	// Name is the driver's stable identifier ("linuxns", "gvisor").
	Name() string

	// Capabilities reports the optional features. It is cheap and its
	// answer does not change after Available has returned nil.
	Capabilities() Capabilities

	// Available returns nil if the driver can run on this host, or an
	// error wrapping ErrUnavailable whose message is a sentence saying
	// why (e.g. "user namespaces are disabled"). It may probe the host;
	// call it at start-up, not per request.
	Available() error

	// Create starts a new isolated sandbox running the Spec's runtime
	// bootstrap and returns once the interpreter is ready to Load. The
	// instance has no function yet. ctx bounds the start-up only, not
	// the instance's life.
	//
	// Errors: ErrInvalidSpec, ErrUnsupported, ErrUnavailable, or a
	// wrapped start-up failure. On error nothing is left behind (no
	// process, cgroup or directory); if an Instance is returned along
	// with an error, Destroy is still safe to call on it.
	Create(ctx context.Context, spec Spec) (Instance, error)
}

// LoadedSnapshots is implemented by drivers that can checkpoint an instance
// right after its function's init code ran and start later instances of
// that function from the image, already loaded. It pays for functions whose
// init takes longer than a restore. Only what a function's every instance
// shares is in an image: its code, environment and module state after init,
// never a call's data; restored runtimes get fresh entropy.
type LoadedSnapshots interface {
	// SnapshotLoaded builds key's image in the background, once: a new
	// instance of spec gets its code from fill, loads fn, is checkpointed
	// before any call and destroyed. A scope (a function version) holds
	// one image: a new key drops the scope's older one. It reports false
	// when the driver does not snapshot spec.Runtime.
	SnapshotLoaded(scope, key string, spec Spec, fill func(codeDir string) error, fn LoadRequest) bool
	// CreateLoaded starts an instance from key's image, with its code
	// written by fill first. The instance is loaded: Invoke is its next
	// step. It returns a nil Instance and a nil error when key has no
	// image ready; after an error the caller may Create and Load instead.
	CreateLoaded(ctx context.Context, key string, spec Spec, fill func(codeDir string) error) (Instance, error)
	// DropLoaded deletes scope's image, built or being built, unless it
	// is keep's: the function version changed or was deleted, and its
	// image holds the old code and environment. keep "" drops any.
	DropLoaded(scope, keep string)
}

// Instance is one isolated process tree running one runtime bootstrap. It
// loads at most one function (Load, once) and then serves that function's
// invocations one at a time.
//
// Concurrency: Load and Invoke must not overlap (ErrInstanceBusy), nor
// two Invokes unless the instance is a Pipeliner; the engine serialises
// them. Destroy may be called at any time from any goroutine,
// including while Invoke runs: it aborts the call (Invoke then returns
// ErrAborted with a filled-in Result). ID and CodeDir are safe at any time.
//
// Death: an instance dies when its runtime exits, is killed by a limit
// (memory, timeout), fails to load its function, breaks the protocol, or is
// destroyed. A Result with Dead = true, an ErrInstanceDead or a *LoadError
// says so; after that every Load/Invoke returns ErrInstanceDead and the
// owner must call Destroy to release resources.
type Instance interface {
	// ID is unique among the driver's live instances and stable for the
	// instance's life (it appears in logs and cgroup names).
	ID() string

	// CodeDir is the host directory mounted read-only at /var/task:
	// Spec.CodeDir, or the private directory the driver made when that was
	// empty. Write the function's files there before Load.
	CodeDir() string

	// Load sets the function's environment and imports its module from
	// /var/task. It returns a *LoadError (the function's fault: syntax
	// error, handler not found, import threw; the instance is then dead),
	// ErrAlreadyLoaded, ErrInstanceBusy, ErrInstanceDead, or a wrapped
	// platform error. Output printed while loading is delivered with the
	// first Invoke's logs. ctx bounds the load; if it expires the instance
	// is killed.
	Load(ctx context.Context, fn LoadRequest) error

	// Invoke runs the loaded handler with req and streams its output to
	// logs (which may be nil). The function's own failures are Results
	// with a nil error (see Status, Reason). The host enforces
	// req.Deadline by killing the whole sandbox tree (StatusTimeout,
	// Dead). A non-nil error is one of ErrNotLoaded, ErrInstanceBusy,
	// ErrInstanceDead, ErrPayloadTooLarge (instance still usable), or
	// ErrAborted (ctx cancelled or Destroy; a Result is returned too).
	Invoke(ctx context.Context, req Request, logs LogSink) (Result, error)

	// Destroy kills the process tree and releases every resource (cgroups,
	// pipes, the private code dir). It is idempotent, safe after a failed
	// Create or a dead instance, and safe concurrently with Invoke. ctx
	// bounds how long it waits for the tree to disappear; resources it
	// could not release in time are reported in the error and retried on
	// the next Destroy call.
	Destroy(ctx context.Context) error
}

// Pipeliner is implemented by instances that accept an Invoke while
// earlier ones run. Calls still run one at a time, in the order they were
// made: each later one waits in the sandbox, so the runtime goes from one
// call to the next without waiting for the host, and its Deadline is moved
// by the time it waited (its limit counts from its own start). A call
// whose predecessor died without answering returns ErrNotStarted: it ran
// nowhere. Pipelines reports whether the instance does this.
type Pipeliner interface {
	Pipelines() bool
}

// Activator is implemented by instances that honour Spec.Standby. Activate
// restores a standby instance's normal CPU weight; call it before Load.
type Activator interface {
	Activate() error
}

// MemoryReporter is implemented by instances that can tell their memory use,
// so an owner can recycle one that has grown (a leak in the function's
// module state). Safe to call at any time; it reads counters, it does not
// stop the instance.
type MemoryReporter interface {
	MemoryBytes() (uint64, error)
}
