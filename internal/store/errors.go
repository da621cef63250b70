package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	gosqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/voltrun/voltrun/internal/core"
)

// PostgreSQL SQLSTATE codes the store tells apart.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

// violation classifies a constraint error from either driver.
type violation int

const (
	noViolation violation = iota
	uniqueViolation
	primaryKeyViolation // a unique violation on the primary key: a caller-chosen id was taken
	foreignKeyViolation
)

// classify inspects the driver error itself rather than GORM's
// TranslateError, which on SQLite replaces the driver error (and its
// message) instead of wrapping it.
func classify(err error) violation {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case pgUniqueViolation:
			if strings.HasSuffix(pgErr.ConstraintName, "_pkey") {
				return primaryKeyViolation
			}
			return uniqueViolation
		case pgForeignKeyViolation:
			return foreignKeyViolation
		}
		return noViolation
	}
	var sqErr *gosqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return primaryKeyViolation
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		}
		return noViolation
	}
	switch {
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return uniqueViolation
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return foreignKeyViolation
	}
	return noViolation
}

// conflicts names the user-facing messages for one resource's constraint
// failures.
type conflicts struct {
	unique     string // the resource's natural key (email, name, hash) is taken
	primaryKey string // the caller-chosen id is taken
	foreignKey string // the parent row (user, owner) does not exist
	// others are the resource's further unique constraints, each with its
	// own message; a violation of none of them gets unique.
	others []uniqueKey
}

// uniqueKey is a unique constraint as each database names it in a
// violation: PostgreSQL by constraint (or index) name, SQLite only by the
// columns of the index ("UNIQUE constraint failed: functions.name").
type uniqueKey struct {
	constraint string // PostgreSQL: PgError.ConstraintName
	columns    string // SQLite: "table.column[, table.column]"
	message    string
}

// uniqueMessage is the message for the unique constraint err violates.
func (c conflicts) uniqueMessage(err error) string {
	for _, k := range c.others {
		if k.violatedBy(err) {
			return k.message
		}
	}
	return c.unique
}

func (k uniqueKey) violatedBy(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName == k.constraint
	}
	var sqErr *gosqlite.Error
	if errors.As(err, &sqErr) {
		// "constraint failed: UNIQUE constraint failed: t.a, t.b (2067)":
		// matching from "failed: " to " (" takes the whole column list, so
		// "t.b" matches neither "t.a, t.b" nor "t.b, t.c".
		return strings.Contains(sqErr.Error(), "UNIQUE constraint failed: "+k.columns+" (")
	}
	return false
}

// mapWriteError turns a write error into a *core.Error when a constraint
// explains it, else wraps it with the operation.
func mapWriteError(op string, err error, c conflicts) error {
	switch classify(err) {
	case uniqueViolation:
		return &core.Error{Code: core.CodeConflict, Message: c.uniqueMessage(err), Err: err}
	case primaryKeyViolation:
		return &core.Error{Code: core.CodeConflict, Message: c.primaryKey, Err: err}
	case foreignKeyViolation:
		return &core.Error{Code: core.CodeNotFound, Message: c.foreignKey, Err: err}
	}
	return wrap(op, err)
}

// mapReadError maps a missing row to CodeNotFound with msg, and wraps
// anything else. The GORM sentinel is dropped, not wrapped, so that
// errors.Is(err, gorm.ErrRecordNotFound) is false outside this package.
func mapReadError(op, msg string, err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return notFound(msg)
	}
	return wrap(op, err)
}

func notFound(msg string) error {
	return &core.Error{Code: core.CodeNotFound, Message: msg}
}

func invalid(msg string) error {
	return &core.Error{Code: core.CodeInvalid, Message: msg}
}

func wrap(op string, err error) error {
	return fmt.Errorf("store: %s: %w", op, err)
}
