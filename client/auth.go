package client

import (
	"context"
	"net/http"
)

// Register creates an account and returns a session for it (409 conflict
// when the email is taken; passwords under 8 characters get 400).
func (c *Client) Register(ctx context.Context, email, password, name string) (*Session, error) {
	var s Session
	in := map[string]string{"email": email, "password": password, "name": name}
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/auth/register", in: in, out: &s}); err != nil {
		return nil, err
	}
	return &s, nil
}

// Login exchanges an email and password for a session token. The client's
// own credentials are not changed: build a new Client WithToken(s.Token).
func (c *Client) Login(ctx context.Context, email, password string) (*Session, error) {
	var s Session
	in := map[string]string{"email": email, "password": password}
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/auth/login", in: in, out: &s}); err != nil {
		return nil, err
	}
	return &s, nil
}

// Me returns the account the client's credentials belong to.
func (c *Client) Me(ctx context.Context) (*User, error) {
	var u User
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/auth/me", out: &u}); err != nil {
		return nil, err
	}
	return &u, nil
}

// Health returns the server's health report. A 503 answer (a dependency is
// down) is returned as an *Error.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	if err := c.do(ctx, call{method: http.MethodGet, path: "/health", out: &h}); err != nil {
		return nil, err
	}
	return &h, nil
}
