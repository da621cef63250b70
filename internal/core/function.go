package core

import (
	"regexp"
	"strings"
	"time"
)

// Runtime names a language runtime a function runs on.
type Runtime string

// Supported runtimes.
const (
	RuntimeNode   Runtime = "nodejs"
	RuntimePython Runtime = "python"
)

// Function limits and defaults of the public contract.
const (
	DefaultMemoryMB  = 128
	MinMemoryMB      = 64
	MaxMemoryMB      = 4096
	DefaultTimeoutMS = 10000
	MinTimeoutMS     = 100
	MaxTimeoutMS     = 900000
	// MaxCodeBytes caps a function's code, both as an uploaded archive and
	// as the total size of its unpacked files.
	MaxCodeBytes = 10 << 20
	// MaxEnvBytes caps the total size of a function's environment.
	MaxEnvBytes = 4 << 10
	// DefaultMaxConcurrency is a function's concurrency cap unless set.
	DefaultMaxConcurrency = 10
	// MaxMaxConcurrency bounds what a function may ask for.
	MaxMaxConcurrency = 1000
	// MaxDescription caps a function's description, in characters.
	MaxDescription = 256
)

var (
	functionName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	handlerName  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}\.[A-Za-z_$][A-Za-z0-9_$]{0,99}$`)
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
)

// Function is a deployable function: its configuration and its mutable draft
// code ($LATEST). Code is the draft as a zip archive; it is nil when a store
// lists functions without their code.
type Function struct {
	ID          string            `json:"id"`
	OwnerID     string            `json:"owner_id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Runtime     Runtime           `json:"runtime"`
	Handler     string            `json:"handler"`
	MemoryMB    int               `json:"memory_mb"`
	TimeoutMS   int               `json:"timeout_ms"`
	Env         map[string]string `json:"env"`
	Public      bool              `json:"public"`
	// MaxConcurrency caps the function's simultaneous executions; calls
	// past it are refused with CodeRateLimited.
	MaxConcurrency int       `json:"max_concurrency"`
	Code           []byte    `json:"-"`
	CodeSHA256     string    `json:"code_sha256"`
	CodeSize       int64     `json:"code_size"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	// AsyncMaxAttempts is how many times an asynchronous call may run
	// before it is dead-lettered; AsyncRetryBaseMS is the delay before the
	// first retry, doubled for each later one (see RetryDelay).
	AsyncMaxAttempts int `json:"async_max_attempts"`
	AsyncRetryBaseMS int `json:"async_retry_base_ms"`
}

// DefaultHandler is the handler a runtime uses when none is given.
func DefaultHandler(r Runtime) string {
	if r == RuntimePython {
		return "main.handler"
	}
	return "index.handler"
}

// ValidName reports whether name is a valid function name.
func ValidName(name string) bool { return functionName.MatchString(name) }

// HandlerModule splits a handler "path/file.export" into its module path
// ("path/file") and export name.
func HandlerModule(handler string) (module, export string) {
	i := strings.LastIndexByte(handler, '.')
	if i < 0 {
		return handler, ""
	}
	return handler[:i], handler[i+1:]
}

// Validate checks the function's configuration (not its code) and returns a
// validation *Error naming each bad field.
func (f *Function) Validate() error {
	fe := FieldErrors{}
	if !ValidName(f.Name) {
		fe.Add("name", "must match ^[a-z][a-z0-9-]{0,62}$: a lowercase letter, then lowercase letters, digits or dashes")
	}
	switch f.Runtime {
	case RuntimeNode, RuntimePython:
	default:
		fe.Add("runtime", `must be "nodejs" or "python"`)
	}
	if !handlerName.MatchString(f.Handler) || strings.Contains(f.Handler, "..") || strings.HasPrefix(f.Handler, "/") {
		fe.Add("handler", `must look like "file.export", e.g. "index.handler"`)
	}
	if f.MemoryMB < MinMemoryMB || f.MemoryMB > MaxMemoryMB {
		fe.Add("memory_mb", "must be between 64 and 4096")
	}
	if f.TimeoutMS < MinTimeoutMS || f.TimeoutMS > MaxTimeoutMS {
		fe.Add("timeout_ms", "must be between 100 and 900000")
	}
	if f.MaxConcurrency < 1 || f.MaxConcurrency > MaxMaxConcurrency {
		fe.Add("max_concurrency", "must be between 1 and 1000")
	}
	if f.AsyncMaxAttempts < 1 || f.AsyncMaxAttempts > MaxAsyncMaxAttempts {
		fe.Add("async_max_attempts", "must be between 1 and 20")
	}
	if f.AsyncRetryBaseMS < MinAsyncRetryBaseMS || f.AsyncRetryBaseMS > MaxAsyncRetryBaseMS {
		fe.Add("async_retry_base_ms", "must be between 100 and 3600000")
	}
	if len([]rune(f.Description)) > MaxDescription {
		fe.Add("description", "must be at most 256 characters")
	}
	size := 0
	for k, v := range f.Env {
		if !envName.MatchString(k) {
			fe.Add("env", "variable names must match ^[A-Za-z_][A-Za-z0-9_]*$: "+truncate(k, 40))
		}
		size += len(k) + len(v)
	}
	if size > MaxEnvBytes {
		fe.Add("env", "must total at most 4 KiB")
	}
	return fe.Err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
