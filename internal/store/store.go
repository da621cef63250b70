package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"go.uber.org/zap"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

// Dialect names returned by (*Store).Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// SQLiteFile is the database file Open creates inside Options.DataDir.
const SQLiteFile = "voltrun.db"

// sqlitePragmas are applied by the driver on every new connection.
// busy_timeout makes a second writer wait instead of failing at once;
// _txlock=immediate takes the write lock at BEGIN so a transaction that
// reads then writes cannot deadlock-fail with SQLITE_BUSY half way through.
const sqlitePragmas = "_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate"

// sqlitePageSize is the page size of a new database file. An execution
// record of an HTTP call is ~1 KiB, three to a 4 KiB page; 16 KiB pages
// pack them tighter and write a fourth as many WAL frames, each two
// pwrite(2)s: 14-21 % less CPU per saved record (round 14 in
// docs/benchmarks.md). 64 KiB pages cost more than 4 KiB ones there.
const sqlitePageSize = 16384

// initSQLiteFile sets a new database's page size and turns on WAL, which
// lets readers run beside the single writer. Both are properties of the
// file, kept by every later connection: the page size can only be set
// before WAL is, which is why journal_mode is not among the driver's
// per-connection pragmas (it applies them in its own order). A database
// created with another page size keeps it.
func initSQLiteFile(ctx context.Context, db *sql.DB) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	defer func() { _ = c.Close() }()
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", sqlitePageSize)); err != nil {
		return fmt.Errorf("store: open sqlite: set page size: %w", err)
	}
	// Switching needs the file to itself, and SQLite refuses at once
	// rather than wait when another connection holds it (busy_timeout does
	// not cover this): servers opening a new file together take turns.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var mode string // the mode in effect after the pragma
		err := c.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode)
		switch {
		case err == nil && mode == "wal":
			return nil
		case err == nil:
			err = fmt.Errorf("journal mode stayed %q", mode)
		case !sqliteBusy(err):
			return fmt.Errorf("store: open sqlite: turn on WAL: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("store: open sqlite: turn on WAL: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sqliteBusy reports whether err is SQLite's SQLITE_BUSY.
func sqliteBusy(err error) bool {
	var se interface{ Code() int }
	return errors.As(err, &se) && se.Code()&0xff == 5
}

// Options configures Open.
type Options struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty selects SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite file; created 0700 when missing. Unused on
	// PostgreSQL.
	DataDir string
	// Logger receives slow-query warnings and migration progress; nil
	// discards them.
	Logger *zap.Logger
}

// Store implements core.Store on a GORM database. It is safe for concurrent
// use; Close releases the connection pool.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	stmts   *stmtCache // SQLite only
	inserts executionInserts
	dialect string
	log     *zap.Logger
}

var _ core.Store = (*Store)(nil)

// Open connects to the database selected by opts, applies pending
// migrations, and returns a ready Store. It refuses a database whose schema
// is newer than this binary.
func Open(ctx context.Context, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("store")

	dialector, dialect, err := dialectorFor(opts)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger: newGormLogger(log),
		// Open pings with ctx below; GORM's own ping ignores it.
		DisableAutomaticPing: true,
		// Every write is one statement or an explicit transaction.
		SkipDefaultTransaction: true,
		NowFunc:                now,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	configurePool(sqlDB, dialect)

	s := &Store{db: db, sqlDB: sqlDB, dialect: dialect, log: log}
	if dialect == DialectSQLite {
		// SQLite compiles a statement each time it is prepared, and
		// compiling the batch insert of execution records was a third of
		// its cost; pgx caches prepared statements itself.
		s.stmts = newStmtCache(sqlDB)
		db.ConnPool, db.Statement.ConnPool = s.stmts, s.stmts
	}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if dialect == DialectSQLite {
		if err := initSQLiteFile(ctx, sqlDB); err != nil {
			_ = sqlDB.Close()
			return nil, err
		}
	}
	if err := migrate(ctx, sqlDB, dialect, log); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

func dialectorFor(opts Options) (gorm.Dialector, string, error) {
	u := opts.DatabaseURL
	switch {
	case u == "":
		if opts.DataDir == "" {
			return nil, "", errors.New("store: open sqlite: data dir is empty")
		}
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, "", fmt.Errorf("store: open sqlite: create data dir: %w", err)
		}
		file := filepath.Join(opts.DataDir, SQLiteFile)
		if strings.ContainsRune(file, '?') { // the driver splits the DSN at '?'
			return nil, "", errors.New("store: open sqlite: data dir must not contain '?'")
		}
		dsn := file + "?" + sqlitePragmas
		return sqlite.Open(dsn), DialectSQLite, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return postgres.New(postgres.Config{DSN: u}), DialectPostgres, nil
	default:
		// Name only the scheme: the URL may carry a password.
		scheme := "none"
		if parsed, err := url.Parse(u); err == nil && parsed.Scheme != "" {
			scheme = parsed.Scheme
		}
		return nil, "", fmt.Errorf("store: unsupported database url scheme %q: want postgres:// or postgresql://, or empty for sqlite", scheme)
	}
}

func configurePool(db *sql.DB, dialect string) {
	if dialect == DialectSQLite {
		// SQLite has one writer at a time; a few connections let WAL
		// readers proceed beside it without piling up busy waits.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		db.SetConnMaxLifetime(0)
		return
	}
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
}

// Dialect names the database in use: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.dialect, err)
	}
	return nil
}

// Close closes the connection pool. Calls after the first return nil.
func (s *Store) Close() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	if err := s.sqlDB.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
