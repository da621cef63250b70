package store

import (
	"encoding/base64"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// now is the store's clock: UTC, at the microsecond precision PostgreSQL
// keeps, so a value read back equals the value written on both databases.
func now() time.Time { return normTime(time.Now()) }

// normTime brings a caller's time to the stored form: UTC (SQLite compares
// times as text, which only orders correctly in one zone) and microseconds.
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// newID returns a UUIDv7: time-ordered, so ordering by id is creation order
// and keyset pagination by id lists oldest first.
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", wrap("new id", err)
	}
	return id.String(), nil
}

// resolveID returns a new UUIDv7 for an empty id and the canonical form of
// a caller-chosen one; anything that is not a UUID is refused.
func resolveID(id, what string) (string, error) {
	if id == "" {
		return newID()
	}
	v, ok := parseID(id)
	if !ok {
		return "", invalid(what + " id must be a UUID")
	}
	return v, nil
}

// parseID returns the canonical lowercase form of a UUID, so that text
// comparison on SQLite matches PostgreSQL's uuid type. A string that is not
// a UUID cannot name a stored row: callers answer not found without a query
// (PostgreSQL would reject it with a syntax error).
func parseID(s string) (string, bool) {
	u, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// pageLimit applies the public contract's default and cap.
func pageLimit(p core.Page) int {
	switch {
	case p.Limit <= 0:
		return core.DefaultPageLimit
	case p.Limit > core.MaxPageLimit:
		return core.MaxPageLimit
	}
	return p.Limit
}

// Cursors are the base64url of the last id on the previous page: opaque to
// clients, and stable because ids never change.
func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// decodeCursor returns the id after which the page starts; "" for the first
// page.
func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", invalid("malformed cursor")
	}
	id, ok := parseID(string(raw))
	if !ok {
		return "", invalid("malformed cursor")
	}
	return id, nil
}
