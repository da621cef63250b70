package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// CreateFunction creates a function from spec (409 conflict when the name
// is taken).
func (c *Client) CreateFunction(ctx context.Context, spec FunctionSpec) (*Function, error) {
	var f Function
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/functions", in: spec, out: &f}); err != nil {
		return nil, err
	}
	return &f, nil
}

// ListFunctions returns one page of the caller's functions.
func (c *Client) ListFunctions(ctx context.Context, opts ListOptions) (*List[Function], error) {
	var l List[Function]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/functions", query: opts.values(), out: &l}); err != nil {
		return nil, err
	}
	return &l, nil
}

// GetFunction returns a function, by id or name, with its draft code.
func (c *Client) GetFunction(ctx context.Context, function string) (*Function, error) {
	var f Function
	if err := c.do(ctx, call{method: http.MethodGet, path: fnPath(function), out: &f}); err != nil {
		return nil, err
	}
	return &f, nil
}

// FunctionExists reports whether the caller has a function by this id or
// name. It asks with HEAD, so the function's code is not downloaded.
func (c *Client) FunctionExists(ctx context.Context, function string) (bool, error) {
	err := c.do(ctx, call{method: http.MethodHead, path: fnPath(function)})
	if IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// UpdateFunction changes the draft: only spec's non-zero fields change.
func (c *Client) UpdateFunction(ctx context.Context, function string, spec FunctionSpec) (*Function, error) {
	var f Function
	if err := c.do(ctx, call{method: http.MethodPatch, path: fnPath(function), in: spec, out: &f}); err != nil {
		return nil, err
	}
	return &f, nil
}

// DeleteFunction deletes a function with its versions and aliases.
func (c *Client) DeleteFunction(ctx context.Context, function string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: fnPath(function)})
}

// InvokeOptions qualify an invocation.
type InvokeOptions struct {
	// Qualifier is a version number or an alias; "" runs the draft.
	Qualifier string
	// Async queues the call and returns at once with the execution id;
	// the outcome is read later with GetExecution.
	Async bool
}

// Invoke calls a function with event (any JSON; nil sends {}). A handler
// that throws is not an error here: the Invocation has Status "failed" and
// its Error; only platform faults and refusals return an error.
func (c *Client) Invoke(ctx context.Context, function string, event json.RawMessage, opts InvokeOptions) (*Invocation, error) {
	if len(event) == 0 {
		event = json.RawMessage("{}")
	}
	var q url.Values
	if opts.Qualifier != "" {
		q = url.Values{"qualifier": {opts.Qualifier}}
	}
	var h http.Header
	if opts.Async {
		h = http.Header{"X-Invocation-Type": {"async"}}
	}
	var inv Invocation
	err := c.do(ctx, call{method: http.MethodPost, path: fnPath(function) + "/invoke", query: q, in: event, out: &inv, header: h})
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// ExecutionListOptions filter and page ListExecutions.
type ExecutionListOptions struct {
	ListOptions
	// Status keeps only executions in this status ("" for all).
	Status string
}

// ListExecutions returns one page of a function's executions, newest
// first, without input, output and logs: GetExecution has those.
func (c *Client) ListExecutions(ctx context.Context, function string, opts ExecutionListOptions) (*List[Execution], error) {
	q := opts.values()
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	var l List[Execution]
	if err := c.do(ctx, call{method: http.MethodGet, path: fnPath(function) + "/executions", query: q, out: &l}); err != nil {
		return nil, err
	}
	return &l, nil
}

// GetExecution returns one execution with its input, output and logs.
func (c *Client) GetExecution(ctx context.Context, id string) (*Execution, error) {
	var e Execution
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/executions/" + url.PathEscape(id), out: &e}); err != nil {
		return nil, err
	}
	return &e, nil
}

// fnPath is a function's resource path; the name or id is escaped so that
// a stray slash cannot reach another route.
func fnPath(function string) string { return "/api/functions/" + url.PathEscape(function) }

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}
