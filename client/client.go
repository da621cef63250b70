package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one VoltRun server. Build it with New; it is immutable and
// safe for concurrent use.
type Client struct {
	base      *url.URL
	http      *http.Client
	token     string // JWT from login, sent as a bearer token
	apiKey    string // vr_... key, sent as X-API-Key
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithToken authenticates with a login token (a JWT from Login or Register).
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithAPIKey authenticates with an API key ("vr_..."). It takes precedence
// over WithToken when both are given, as on the server.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithHTTPClient replaces the HTTP client (default: one with no overall
// timeout, since an invocation may run for up to 15 minutes; bound calls
// with their context instead).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithUserAgent sets the User-Agent header sent with every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the server at baseURL (e.g.
// "https://voltrun.example.com"; a path prefix is kept, for servers mounted
// under one behind a proxy).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(strings.TrimSpace(baseURL), "/"))
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q must look like http://host:port or https://host", baseURL)
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, http: &http.Client{}, userAgent: "voltrun-go-client"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL is the server URL the client calls, without a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// ProgressFunc is told how many of total bytes of a request body have been
// sent so far; total is the body's full size.
type ProgressFunc func(sent, total int64)

type progressKey struct{}

// WithUploadProgress returns a context under which every request body a
// Client sends reports its progress to fn (from the sending goroutine), the
// way httptrace hooks ride on a context. The CLI draws its upload bar with it.
func WithUploadProgress(ctx context.Context, fn ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// call is one API request.
type call struct {
	method string
	path   string     // below the base URL, e.g. "/api/functions"
	query  url.Values // may be nil
	in     any        // JSON-encoded body; []byte is sent as is; nil sends none
	out    any        // decoded from a 2xx body when non-nil
	header http.Header
}

// do sends r and decodes the answer into r.out; a non-2xx answer becomes
// an *Error.
func (c *Client) do(ctx context.Context, r call) error {
	var body []byte
	switch in := r.in.(type) {
	case nil:
	case []byte:
		body = in
	case json.RawMessage:
		body = in
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode request: %w", r.method, r.path, err)
		}
		body = b
	}
	u := c.base.JoinPath(r.path)
	u.RawQuery = r.query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
		if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && fn != nil {
			rd = &progressReader{r: rd, total: int64(len(body)), fn: fn}
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
	}
	if body != nil {
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	c.authorize(req.Header)
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, c.base.Host, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return errorFrom(res)
	}
	if r.out == nil || res.StatusCode == http.StatusNoContent {
		// Drain so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(r.out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
	}
	return nil
}

// authorize sets the credential headers; an API key goes in X-API-Key so
// that it never ends up in a proxy's Authorization logs by accident.
func (c *Client) authorize(h http.Header) {
	if c.userAgent != "" {
		h.Set("User-Agent", c.userAgent)
	}
	switch {
	case c.apiKey != "":
		h.Set("X-API-Key", c.apiKey)
	case c.token != "":
		h.Set("Authorization", "Bearer "+c.token)
	}
}

// progressReader counts bytes as the transport reads the body.
type progressReader struct {
	r     io.Reader
	sent  int64
	total int64
	fn    ProgressFunc
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.sent += int64(n)
		p.fn(p.sent, p.total)
	}
	return n, err
}

// errorFrom decodes a non-2xx answer into an *Error. An answer that is not
// the documented error shape (say, a proxy's HTML 502 page) still yields
// an *Error with the status and the start of the body.
func errorFrom(res *http.Response) error {
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read error answer (HTTP %d): %w", res.StatusCode, err)
	}
	e := &Error{Status: res.StatusCode}
	var body struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error != nil && body.Error.Code != "" {
		*e = *body.Error
		e.Status = res.StatusCode
	} else {
		e.Message = http.StatusText(res.StatusCode)
		if s := strings.TrimSpace(string(raw)); s != "" {
			e.Message += ": " + truncate(s, 200)
		}
	}
	if ra := res.Header.Get("Retry-After"); ra != "" {
		if secs, perr := time.ParseDuration(ra + "s"); perr == nil {
			e.RetryAfter = secs
		}
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
