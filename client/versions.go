package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Version is an immutable snapshot of a function's draft: its code and
// configuration when it was published.
type Version struct {
	Version     int               `json:"version"`
	FunctionID  string            `json:"function_id"`
	Description string            `json:"description"`
	CodeSHA256  string            `json:"code_sha256"`
	CodeSize    int64             `json:"code_size"`
	Runtime     string            `json:"runtime"`
	Handler     string            `json:"handler"`
	MemoryMB    int               `json:"memory_mb"`
	TimeoutMS   int               `json:"timeout_ms"`
	Env         map[string]string `json:"env,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	// Files and BinaryFiles list the code, from GetVersion only.
	Files       map[string]string `json:"files,omitempty"`
	BinaryFiles []string          `json:"binary_files,omitempty"`
}

// Alias is a name for a version, which can move (a rollback points it back)
// and can send a share of the calls to a second version (a canary).
type Alias struct {
	FunctionID  string        `json:"function_id"`
	Name        string        `json:"name"`
	Version     int           `json:"version"`
	Description string        `json:"description"`
	Routing     *AliasRouting `json:"routing"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

// AliasRouting sends Weight (0 < Weight < 1) of an alias's calls to
// Version instead of the alias's own version.
type AliasRouting struct {
	Version int     `json:"version"`
	Weight  float64 `json:"weight"`
}

// AliasSpec is the body of SetAlias; a nil Routing sends every call to
// Version.
type AliasSpec struct {
	Version     int           `json:"version"`
	Description string        `json:"description,omitzero"`
	Routing     *AliasRouting `json:"routing,omitzero"`
}

// PublishVersion snapshots the draft as the next numbered version.
func (c *Client) PublishVersion(ctx context.Context, function, description string) (*Version, error) {
	var v Version
	in := map[string]string{"description": description}
	if err := c.do(ctx, call{method: http.MethodPost, path: fnPath(function) + "/versions", in: in, out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// ListVersions returns one page of a function's published versions.
func (c *Client) ListVersions(ctx context.Context, function string, opts ListOptions) (*List[Version], error) {
	var l List[Version]
	if err := c.do(ctx, call{method: http.MethodGet, path: fnPath(function) + "/versions", query: opts.values(), out: &l}); err != nil {
		return nil, err
	}
	return &l, nil
}

// GetVersion returns one published version.
func (c *Client) GetVersion(ctx context.Context, function string, version int) (*Version, error) {
	var v Version
	p := fnPath(function) + "/versions/" + strconv.Itoa(version)
	if err := c.do(ctx, call{method: http.MethodGet, path: p, out: &v}); err != nil {
		return nil, err
	}
	return &v, nil
}

// SetAlias creates an alias or moves it to spec's version.
func (c *Client) SetAlias(ctx context.Context, function, alias string, spec AliasSpec) (*Alias, error) {
	var a Alias
	if err := c.do(ctx, call{method: http.MethodPut, path: aliasPath(function, alias), in: spec, out: &a}); err != nil {
		return nil, err
	}
	return &a, nil
}

// GetAlias returns one alias.
func (c *Client) GetAlias(ctx context.Context, function, alias string) (*Alias, error) {
	var a Alias
	if err := c.do(ctx, call{method: http.MethodGet, path: aliasPath(function, alias), out: &a}); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListAliases returns a function's aliases.
func (c *Client) ListAliases(ctx context.Context, function string) (*List[Alias], error) {
	var l List[Alias]
	if err := c.do(ctx, call{method: http.MethodGet, path: fnPath(function) + "/aliases", out: &l}); err != nil {
		return nil, err
	}
	return &l, nil
}

// DeleteAlias removes an alias; the versions it named stay.
func (c *Client) DeleteAlias(ctx context.Context, function, alias string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: aliasPath(function, alias)})
}

func aliasPath(function, alias string) string {
	return fnPath(function) + "/aliases/" + url.PathEscape(alias)
}
