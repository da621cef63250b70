package core

import (
	"context"
	"regexp"
	"strconv"
	"time"
)

// LatestVersion names a function's mutable draft.
const LatestVersion = "$LATEST"

// Version is an immutable snapshot of a function's draft: its code and the
// configuration that decides how the code runs.
type Version struct {
	FunctionID  string            `json:"function_id"`
	Number      int               `json:"version"`
	Description string            `json:"description"`
	Runtime     Runtime           `json:"runtime"`
	Handler     string            `json:"handler"`
	MemoryMB    int               `json:"memory_mb"`
	TimeoutMS   int               `json:"timeout_ms"`
	Env         map[string]string `json:"env"`
	Code        []byte            `json:"-"`
	CodeSHA256  string            `json:"code_sha256"`
	CodeSize    int64             `json:"code_size"`
	CreatedAt   time.Time         `json:"created_at"`
}

// Apply returns the function as it runs at this version: the function's
// identity and limits with the version's code and configuration.
func (v *Version) Apply(f Function) Function {
	f.Runtime, f.Handler, f.MemoryMB, f.TimeoutMS = v.Runtime, v.Handler, v.MemoryMB, v.TimeoutMS
	f.Env, f.Code, f.CodeSHA256, f.CodeSize = v.Env, v.Code, v.CodeSHA256, v.CodeSize
	return f
}

// Alias is a named pointer to a version, optionally sending a share of the
// calls to a second version (a canary).
type Alias struct {
	FunctionID  string        `json:"function_id"`
	Name        string        `json:"name"`
	Version     int           `json:"version"`
	Description string        `json:"description"`
	Routing     *AliasRouting `json:"routing"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// AliasRouting sends Weight (0 < Weight < 1) of an alias's calls to Version.
type AliasRouting struct {
	Version int     `json:"version"`
	Weight  float64 `json:"weight"`
}

// Pick chooses the version for one call given a uniform random r in [0,1).
func (a *Alias) Pick(r float64) int {
	if a.Routing != nil && r < a.Routing.Weight {
		return a.Routing.Version
	}
	return a.Version
}

var aliasName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,62}$`)

// ValidAliasName reports whether name can name an alias: it starts with a
// letter, so it never reads as a version number or $LATEST.
func ValidAliasName(name string) bool { return aliasName.MatchString(name) }

// ParseVersion reads a version number qualifier ("3"); ok is false for
// anything else.
func ParseVersion(q string) (n int, ok bool) {
	n, err := strconv.Atoi(q)
	return n, err == nil && n > 0 && strconv.Itoa(n) == q
}

// VersionStore keeps versions and aliases. Every call is scoped to the
// function's owner: another owner's function answers CodeNotFound.
type VersionStore interface {
	// PublishVersion snapshots the function's current draft as the next
	// version number, atomically.
	PublishVersion(ctx context.Context, ownerID, functionID, description string) (*Version, error)
	// Version returns one version with its code.
	Version(ctx context.Context, ownerID, functionID string, number int) (*Version, error)
	// ListVersions lists versions newest first, without code.
	ListVersions(ctx context.Context, ownerID, functionID string, p Page) (vs []Version, next string, err error)
	// DeleteVersion deletes a version; CodeConflict while an alias points
	// at it.
	DeleteVersion(ctx context.Context, ownerID, functionID string, number int) error
	// PutAlias creates or moves an alias; the versions it names must exist
	// (CodeNotFound otherwise).
	PutAlias(ctx context.Context, ownerID string, a *Alias) error
	Alias(ctx context.Context, ownerID, functionID, name string) (*Alias, error)
	ListAliases(ctx context.Context, ownerID, functionID string) ([]Alias, error)
	DeleteAlias(ctx context.Context, ownerID, functionID, name string) error
}
