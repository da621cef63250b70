package sandbox

import (
	"fmt"
	"time"
)

// Runtime names accepted in Spec.Runtime.
const (
	RuntimeNode   = "nodejs"
	RuntimePython = "python"
)

// Default and bounding limits applied by Spec.WithDefaults and Spec.Validate.
const (
	DefaultMemoryMB  = 128
	DefaultMaxProcs  = 64
	DefaultTmpSizeMB = 64
	DefaultCPUShare  = 1.0
	DefaultTimeout   = 10 * time.Second

	MinMemoryMB = 32
	MaxMemoryMB = 10240
	MaxTmpMB    = 10240
	// MinMaxProcs leaves room for the runtime's own threads: Node starts
	// about a dozen (V8 workers, libuv pool), and every thread counts
	// against the pids limit.
	MinMaxProcs = 16
)

// Spec describes the sandbox to create. Everything in it is fixed for the
// instance's life; the function (handler, env) arrives later with Load.
type Spec struct {
	// Runtime is RuntimeNode or RuntimePython.
	Runtime string
	// CodeDir is the host directory exposed read-only at /var/task. It may
	// be empty of files at Create and filled by the host before Load when
	// Capabilities.LiveCodeDir is true (a bind mount shares the inode tree,
	// so files written later appear inside). When CodeDir is "", the driver
	// creates a private empty directory, reports it with Instance.CodeDir
	// and removes it on Destroy. The sandbox runs as an unprivileged user,
	// so the directory and its files must be readable by others (0755
	// directories, 0644 files).
	CodeDir string
	// MemoryMB is the hard memory limit (RSS + tmpfs + kernel memory of
	// the whole tree, no swap). Exceeding it kills the instance with
	// ReasonOutOfMemory.
	MemoryMB int
	// CPUShare is the CPU bandwidth in cores (0.5 = half a core).
	CPUShare float64
	// MaxProcs caps processes plus threads in the sandbox (fork bombs).
	MaxProcs int
	// TmpSizeMB sizes the only writable directory, /tmp. Its pages also
	// count against MemoryMB.
	TmpSizeMB int
	// Network allows outbound networking. Drivers without
	// Capabilities.Network refuse it with ErrUnsupported.
	Network bool
	// Standby marks a pre-warmed spare: drivers that implement Activator
	// run it at a low CPU weight, so booting spares does not slow the
	// calls in flight, until Activate puts it to work.
	Standby bool
	// Labels are free-form identifiers (function id, owner) that drivers
	// put in their logs; they never reach the sandbox.
	Labels map[string]string
}

// WithDefaults returns a copy of s with zero limits replaced by defaults.
func (s Spec) WithDefaults() Spec {
	if s.MemoryMB == 0 {
		s.MemoryMB = DefaultMemoryMB
	}
	if s.MaxProcs == 0 {
		s.MaxProcs = DefaultMaxProcs
	}
	if s.TmpSizeMB == 0 {
		s.TmpSizeMB = DefaultTmpSizeMB
	}
	if s.CPUShare == 0 {
		s.CPUShare = DefaultCPUShare
	}
	return s
}

// Validate reports, wrapped in ErrInvalidSpec, the first problem with s.
// Call it after WithDefaults.
func (s Spec) Validate() error {
	switch {
	case s.Runtime != RuntimeNode && s.Runtime != RuntimePython:
		return fmt.Errorf("%w: unknown runtime %q (want %q or %q)", ErrInvalidSpec, s.Runtime, RuntimeNode, RuntimePython)
	case s.MemoryMB < MinMemoryMB || s.MemoryMB > MaxMemoryMB:
		return fmt.Errorf("%w: memory %d MB outside %d–%d", ErrInvalidSpec, s.MemoryMB, MinMemoryMB, MaxMemoryMB)
	case s.MaxProcs < MinMaxProcs:
		return fmt.Errorf("%w: max procs %d below %d", ErrInvalidSpec, s.MaxProcs, MinMaxProcs)
	case s.TmpSizeMB < 1 || s.TmpSizeMB > MaxTmpMB:
		return fmt.Errorf("%w: tmp size %d MB outside 1–%d", ErrInvalidSpec, s.TmpSizeMB, MaxTmpMB)
	case s.CPUShare < 0.01 || s.CPUShare > 64:
		return fmt.Errorf("%w: cpu share %g outside 0.01–64", ErrInvalidSpec, s.CPUShare)
	}
	return nil
}

// LoadRequest assigns a function to a created instance.
type LoadRequest struct {
	// Handler is "file.export": a path relative to /var/task without its
	// extension, a dot, and the exported name ("index.handler",
	// "src/app.main", Python "pkg/mod.handler" or "pkg.mod.handler").
	Handler string
	// Env is the function's environment, set before its module loads. It
	// is all the sandbox sees besides a fixed minimal base (PATH, HOME,
	// LANG, TZ): the server's own environment never reaches it.
	Env map[string]string
	// FunctionName and FunctionVersion fill the handler's context.
	FunctionName    string
	FunctionVersion string
	// MemoryMB is reported to the handler (context.memoryLimitInMB). The
	// enforced limit is Spec.MemoryMB.
	MemoryMB int
}

// Request is one invocation.
type Request struct {
	// ID is the execution id, the handler's awsRequestId.
	ID string
	// Event is the handler's event as raw JSON; it is parsed only inside
	// the sandbox. Empty means null.
	Event []byte
	// Deadline is when the call times out: the host kills the whole
	// sandbox tree then. Zero means now + DefaultTimeout. A call pipelined
	// behind others (Pipeliner) has it moved by the time it waited.
	Deadline time.Time
}

// MaxEventBytes and MaxResultBytes bound a call's input and output (as
// Lambda's synchronous invoke does). A larger event is refused with
// ErrPayloadTooLarge; a larger result fails the call with
// ReasonResultTooLarge.
const (
	MaxEventBytes  = 6 << 20
	MaxResultBytes = 6 << 20
)
