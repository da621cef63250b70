package client

import (
	"encoding/json"
	"time"
)

// Runtimes a function can use.
const (
	RuntimeNode   = "nodejs"
	RuntimePython = "python"
)

// Latest names a function's mutable draft, as a qualifier and in the
// "version" field of invocations and executions.
const Latest = "$LATEST"

// User is an account.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Session is the answer of Register and Login.
type Session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      User      `json:"user"`
}

// List is one page of a list endpoint. NextCursor is "" on the last page;
// pass it as ListOptions.Cursor for the next one.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// ListOptions pages a list: Limit defaults to 50 on the server (max 500).
type ListOptions struct {
	Limit  int
	Cursor string
}

// Function is a function's configuration and, from GetFunction, its draft
// code as text files.
type Function struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Description    string            `json:"description"`
	Runtime        string            `json:"runtime"`
	Handler        string            `json:"handler"`
	MemoryMB       int               `json:"memory_mb"`
	TimeoutMS      int               `json:"timeout_ms"`
	Env            map[string]string `json:"env"`
	Public         bool              `json:"public"`
	MaxConcurrency int               `json:"max_concurrency"`
	CodeSHA256     string            `json:"code_sha256"`
	CodeSize       int64             `json:"code_size"`
	Version        string            `json:"version"`
	Files          map[string]string `json:"files,omitempty"`
	BinaryFiles    []string          `json:"binary_files,omitempty"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// FunctionSpec is the body of CreateFunction and UpdateFunction. Zero
// fields are not sent: on create the server applies its defaults, on update
// they stay as they are. Send exactly one of Code, Files and Archive on
// create (on update, none keeps the code).
type FunctionSpec struct {
	Name    string `json:"name,omitzero"`
	Runtime string `json:"runtime,omitzero"`
	// Handler is "file.export"; default index.handler (nodejs) or
	// main.handler (python).
	Handler string `json:"handler,omitzero"`
	// Code is one source file's text, stored under the handler's file name.
	Code string `json:"code,omitzero"`
	// Files maps paths to text contents.
	Files map[string]string `json:"files,omitzero"`
	// Archive is a zip file; it travels base64-encoded (archive_base64).
	Archive     []byte `json:"archive_base64,omitzero"`
	MemoryMB    int    `json:"memory_mb,omitzero"`
	TimeoutMS   int    `json:"timeout_ms,omitzero"`
	Description string `json:"description,omitzero"`
	// Env replaces the environment; a non-nil empty map clears it.
	Env            map[string]string `json:"env,omitzero"`
	Public         *bool             `json:"public,omitzero"`
	MaxConcurrency int               `json:"max_concurrency,omitzero"`
}

// FunctionError is what a failed handler threw.
type FunctionError struct {
	Type    string   `json:"type"`
	Message string   `json:"message"`
	Stack   []string `json:"stack"`
}

// Invocation is the answer of Invoke. An asynchronous call answers only
// ExecutionID and Status "queued".
type Invocation struct {
	ExecutionID string `json:"execution_id"`
	// Status is succeeded, failed, timeout or killed (queued when async).
	Status string `json:"status"`
	// Reason says why a call was killed or failed on the platform's side,
	// e.g. out_of_memory.
	Reason     string          `json:"reason,omitempty"`
	Result     json.RawMessage `json:"result,omitempty"`
	Error      *FunctionError  `json:"error,omitempty"`
	Logs       string          `json:"logs,omitempty"`
	DurationMS int64           `json:"duration_ms"`
	BilledMS   int64           `json:"billed_ms"`
	ColdStart  bool            `json:"cold_start"`
	Version    string          `json:"version,omitempty"`
}

// Execution is the record of one invocation. Input, Output and Logs are
// set by GetExecution only.
type Execution struct {
	ID              string          `json:"id"`
	FunctionID      string          `json:"function_id"`
	FunctionName    string          `json:"function_name"`
	Version         string          `json:"version"`
	Trigger         string          `json:"trigger"`
	Status          string          `json:"status"`
	Reason          string          `json:"reason,omitempty"`
	Error           *FunctionError  `json:"error"`
	Input           json.RawMessage `json:"input,omitempty"`
	InputTruncated  bool            `json:"input_truncated"`
	Output          json.RawMessage `json:"output,omitempty"`
	OutputTruncated bool            `json:"output_truncated"`
	Logs            string          `json:"logs"`
	LogsTruncated   bool            `json:"logs_truncated"`
	ColdStart       bool            `json:"cold_start"`
	MemoryMB        int             `json:"memory_mb"`
	DurationMS      int64           `json:"duration_ms"`
	BilledMS        int64           `json:"billed_ms"`
	StartedAt       time.Time       `json:"started_at"`
	FinishedAt      time.Time       `json:"finished_at"`
}

// Scopes an API key can hold.
const (
	ScopeFunctionsRead   = "functions:read"
	ScopeFunctionsWrite  = "functions:write"
	ScopeFunctionsInvoke = "functions:invoke"
	ScopeKeysWrite       = "keys:write"
	ScopeUsageRead       = "usage:read"
)

// APIKey is an API key as listed: the secret itself is never shown again.
type APIKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// CreatedKey is a new API key with its secret, shown this once.
type CreatedKey struct {
	APIKey
	Key string `json:"key"`
}

// KeySpec is the body of CreateKey.
type KeySpec struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Health is the answer of GET /health.
type Health struct {
	Status  string            `json:"status"`
	Version string            `json:"version"`
	Checks  map[string]string `json:"checks"`
}
