package auth

import (
	"context"

	"github.com/voltrun/voltrun/internal/core"
)

// Principal is who a request acts for: a user, through a login token
// (Key == nil, every scope) or through one of their API keys (the key's
// scopes only).
type Principal struct {
	UserID string
	Key    *core.APIKey
}

// Allows reports whether the principal may act with scope s.
func (p *Principal) Allows(s core.Scope) bool {
	return p.Key == nil || p.Key.HasScope(s)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal in ctx, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
