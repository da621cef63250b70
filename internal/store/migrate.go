package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// ErrSchemaTooNew means the database was migrated by a newer VoltRun than
// this binary. Open refuses it rather than run old code on a schema it does
// not know; the operator should run the newer binary (or restore a backup).
var ErrSchemaTooNew = errors.New("store: database schema is newer than this binary")

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// migration is one embedded file, migrations/<dialect>/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

var migrationFile = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads dir's migrations in version order and checks they
// are numbered 1, 2, 3... without gaps or duplicates, so a bad file name is
// caught at start-up rather than skipped.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries { // ReadDir sorts by name, hence by version
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("store: migration %s/%s: name must look like 0001_name.sql", dir, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v != len(ms)+1 {
			return nil, fmt.Errorf("store: migration %s/%s: want version %d", dir, e.Name(), len(ms)+1)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: m[2], sql: string(body)})
	}
	return ms, nil
}

// dialectSQL holds the few statements the migrator itself needs per dialect.
type dialectSQL struct {
	createTable string
	// lock serialises migrators of the same schema (several servers
	// starting at once); empty where BEGIN IMMEDIATE already does.
	lock    string
	applied string
	record  string
}

var migratorSQL = map[string]dialectSQL{
	DialectPostgres: {
		createTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL)`,
		lock:    `SELECT pg_advisory_xact_lock(hashtext('voltrun.migrate.' || current_schema()))`,
		applied: `SELECT count(*) FROM schema_migrations WHERE version = $1`,
		record:  `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
	},
	DialectSQLite: {
		createTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER  NOT NULL PRIMARY KEY,
			applied_at DATETIME NOT NULL)`,
		applied: `SELECT count(*) FROM schema_migrations WHERE version = ?`,
		record:  `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
	},
}

// migrate brings the database to the newest embedded migration. Each
// migration runs in its own transaction with its schema_migrations row, so
// a failure leaves the database at the previous version, and a restart (or
// a concurrent migrator) skips what is already applied.
func migrate(ctx context.Context, db *sql.DB, dialect string, log *zap.Logger) error {
	ms, err := loadMigrations(migrationFiles, "migrations/"+dialect)
	if err != nil {
		return err
	}
	return applyMigrations(ctx, db, dialect, ms, log)
}

// applyMigrations applies those of ms, the dialect's migrations from the
// first on, that the database lacks. Tests pass a prefix of the embedded
// ones to build a database as an older release left it.
func applyMigrations(ctx context.Context, db *sql.DB, dialect string, ms []migration, log *zap.Logger) error {
	q := migratorSQL[dialect]
	err := inTx(ctx, db, q, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q.createTable)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}

	var current int
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: the database is at version %d, this binary knows up to %d; run a newer voltrun",
			ErrSchemaTooNew, current, len(ms))
	}

	for _, m := range ms[current:] {
		start := time.Now()
		applied := false
		err := inTx(ctx, db, q, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, q.applied, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 { // another server applied it while we waited for the lock
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, q.record, m.version, now()); err != nil {
				return err
			}
			applied = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: migration %04d_%s: %w", m.version, m.name, err)
		}
		if applied {
			log.Info("applied migration", zap.String("dialect", dialect), zap.Int("version", m.version),
				zap.String("name", m.name), zap.Duration("elapsed", time.Since(start)))
		}
	}
	return nil
}

// inTx runs fn in a transaction holding the migration lock.
func inTx(ctx context.Context, db *sql.DB, q dialectSQL, fn func(*sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()
	if q.lock != "" {
		if _, err := tx.ExecContext(ctx, q.lock); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}
