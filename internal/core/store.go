package core

import (
	"context"
	"time"
)

// Pagination limits of the public contract.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Page selects one page of a list: at most Limit items after the opaque
// Cursor returned with the previous page ("" for the first page).
type Page struct {
	Limit  int
	Cursor string
}

// UserStore keeps accounts. Emails are unique, compared case-insensitively;
// CreateUser returns CodeConflict for a taken email.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
}

// KeyStore keeps API keys. Lookups of another user's key answer
// CodeNotFound.
type KeyStore interface {
	CreateKey(ctx context.Context, k *APIKey) error
	// KeyByHash finds a key by the hex SHA-256 of its secret.
	KeyByHash(ctx context.Context, hash string) (*APIKey, error)
	ListKeys(ctx context.Context, userID string, p Page) (keys []APIKey, next string, err error)
	DeleteKey(ctx context.Context, userID, id string) error
	// TouchKeys records last-use times in one batch (key id → time); a time
	// older than the stored one is ignored.
	TouchKeys(ctx context.Context, used map[string]time.Time) error
}

// FunctionStore keeps functions and their draft code. Names are unique per
// owner, and a public function's name is also unique among public functions
// (CodeConflict otherwise, so /fn/{name} names one function); every lookup
// but PublicFunction is scoped to the owner, so another owner's function
// answers CodeNotFound.
type FunctionStore interface {
	CreateFunction(ctx context.Context, f *Function) error
	// Function finds an owner's function by id or by name, with its code.
	Function(ctx context.Context, ownerID, idOrName string) (*Function, error)
	// ListFunctions lists an owner's functions oldest first, without code.
	ListFunctions(ctx context.Context, ownerID string, p Page) (fns []Function, next string, err error)
	// UpdateFunction saves every field of f, including its code when f.Code
	// is not nil.
	UpdateFunction(ctx context.Context, f *Function) error
	DeleteFunction(ctx context.Context, ownerID, id string) error
	// PublicFunction finds the public function with this name, with its
	// code; a private one answers CodeNotFound.
	PublicFunction(ctx context.Context, name string) (*Function, error)
}

// Store is everything the server keeps in its database.
type Store interface {
	UserStore
	KeyStore
	FunctionStore
	ExecutionStore
	VersionStore
	UsageStore
	AccountStore
	WebhookStore
	OutboxStore
	// Ping checks the database answers.
	Ping(ctx context.Context) error
	Close() error
}
