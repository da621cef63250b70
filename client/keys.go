package client

import (
	"context"
	"net/http"
	"net/url"
)

// CreateKey mints an API key; its secret (CreatedKey.Key) is shown only in
// this answer. A key can only grant scopes it holds itself.
func (c *Client) CreateKey(ctx context.Context, spec KeySpec) (*CreatedKey, error) {
	var k CreatedKey
	if err := c.do(ctx, call{method: http.MethodPost, path: "/api/keys", in: spec, out: &k}); err != nil {
		return nil, err
	}
	return &k, nil
}

// ListKeys returns one page of the caller's API keys.
func (c *Client) ListKeys(ctx context.Context, opts ListOptions) (*List[APIKey], error) {
	var l List[APIKey]
	if err := c.do(ctx, call{method: http.MethodGet, path: "/api/keys", query: opts.values(), out: &l}); err != nil {
		return nil, err
	}
	return &l, nil
}

// RevokeKey deletes an API key; requests made with it fail at once.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/api/keys/" + url.PathEscape(id)})
}
