package store

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// maxCachedStmts bounds the prepared statements kept; past it, statements
// run unprepared. The store's SQL texts are a few dozen (batch statements
// vary only with their row count).
const maxCachedStmts = 256

// stmtCache is the connection pool GORM runs SQLite statements through. It
// prepares each statement once on the database, and transactions use those
// statements, so a statement is compiled once per connection. GORM's own
// PrepareStmt prepares statements on the transaction, which closes them at
// commit: inside transactions, where the execution records are written,
// every statement was compiled again.
type stmtCache struct {
	db *sql.DB

	mu        sync.RWMutex
	stmts     map[string]*sql.Stmt
	preparing map[string]bool // being prepared for transactions
}

var (
	_ gorm.ConnPool         = (*stmtCache)(nil)
	_ gorm.ConnPoolBeginner = (*stmtCache)(nil)
	_ gorm.GetDBConnector   = (*stmtCache)(nil)
)

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, preparing: map[string]bool{}}
}

// stmt returns query's prepared statement, or nil when the cache is full.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || full {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.stmts[query]; ok {
		_ = st.Close()
		return cur, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		_ = st.Close()
		return nil, nil
	}
	c.stmts[query] = st
	return st, nil
}

// forTx returns query's prepared statement for use in a transaction, or
// nil. It never prepares while the caller holds a transaction's connection:
// preparing on the database takes another connection from the pool, and
// transactions waiting for SQLite's write lock may hold them all. A miss
// prepares the statement in the background for the next transaction.
func (c *stmtCache) forTx(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	start := !ok && !c.preparing[query] && len(c.stmts)+len(c.preparing) < maxCachedStmts
	c.mu.RUnlock()
	if !start {
		return st
	}
	c.mu.Lock()
	if c.preparing[query] {
		c.mu.Unlock()
		return nil
	}
	c.preparing[query] = true
	c.mu.Unlock()
	go func() {
		_, _ = c.stmt(context.Background(), query)
		c.mu.Lock()
		delete(c.preparing, query)
		c.mu.Unlock()
	}()
	return nil
}

// close closes the cached statements.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
}

func (c *stmtCache) GetDBConn() (*sql.DB, error) { return c.db, nil }

func (c *stmtCache) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return c.db.PrepareContext(ctx, query)
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil || st == nil {
		// An unprepared query reports a preparation error itself.
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &stmtCacheTx{c: c, tx: tx}, nil
}

// stmtCacheTx runs a transaction's statements through the cache's
// statements, bound to the transaction's connection.
type stmtCacheTx struct {
	c  *stmtCache
	tx *sql.Tx
}

var _ gorm.Tx = (*stmtCacheTx)(nil)

func (t *stmtCacheTx) Commit() error   { return t.tx.Commit() }
func (t *stmtCacheTx) Rollback() error { return t.tx.Rollback() }

func (t *stmtCacheTx) StmtContext(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	return t.tx.StmtContext(ctx, st)
}

func (t *stmtCacheTx) GetDBConn() (*sql.DB, error) { return t.c.db, nil }

func (t *stmtCacheTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, query)
}

func (t *stmtCacheTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st := t.c.forTx(query)
	if st == nil {
		return t.tx.ExecContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

func (t *stmtCacheTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st := t.c.forTx(query)
	if st == nil {
		return t.tx.QueryContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (t *stmtCacheTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st := t.c.forTx(query)
	if st == nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}
