package core

import (
	"slices"
	"time"
)

// Scope is a permission an API key can carry.
type Scope string

// Scopes of the public contract.
const (
	ScopeFunctionsRead   Scope = "functions:read"
	ScopeFunctionsWrite  Scope = "functions:write"
	ScopeFunctionsInvoke Scope = "functions:invoke"
	ScopeKeysWrite       Scope = "keys:write"
	ScopeUsageRead       Scope = "usage:read"
	ScopeWebhooksWrite   Scope = "webhooks:write"
	// ScopeAdmin lets a key use the operator's endpoints; it grants
	// nothing unless the key's user is an admin.
	ScopeAdmin Scope = "admin"
)

// AllScopes lists every scope, in documentation order.
var AllScopes = []Scope{
	ScopeFunctionsRead, ScopeFunctionsWrite, ScopeFunctionsInvoke, ScopeKeysWrite, ScopeUsageRead,
	ScopeWebhooksWrite, ScopeAdmin,
}

// ValidScope reports whether s is a known scope.
func ValidScope(s Scope) bool { return slices.Contains(AllScopes, s) }

// APIKey is a user's API key. Only the SHA-256 of the secret is stored; the
// secret itself is shown once, at creation. Prefix is the secret's first
// characters, kept so people can tell their keys apart.
type APIKey struct {
	ID         string     `json:"id"`
	UserID     string     `json:"-"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	Scopes     []Scope    `json:"scopes"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Expired reports whether the key has passed its expiry at now.
func (k *APIKey) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// HasScope reports whether the key grants s.
func (k *APIKey) HasScope(s Scope) bool { return slices.Contains(k.Scopes, s) }
