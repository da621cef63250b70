package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
	"gorm.io/gorm"
)

// TestStmtCacheOneConnection: with a single connection in the pool, a
// transaction running statements it has never run before neither waits
// for a second connection nor fails, and the statements it ran are
// prepared for later transactions.
func TestStmtCacheOneConnection(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), Options{DataDir: t.TempDir(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.sqlDB.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	query := "SELECT count(*) FROM users WHERE email <> ?"
	for round := range 2 {
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var n int
			if err := tx.Raw(query, "x").Scan(&n).Error; err != nil {
				return err
			}
			return tx.Exec("UPDATE users SET name = name WHERE email = ?", "x").Error
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if round == 0 {
			waitPrepared(t, s.stmts, query)
		}
	}
}

// TestStmtCacheBound: past maxCachedStmts distinct statements, statements
// still run, unprepared, and the cache stays at its bound.
func TestStmtCacheBound(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), Options{DataDir: t.TempDir(), Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range maxCachedStmts + 10 {
		var n int
		if err := s.db.Raw(fmt.Sprintf("SELECT %d", i)).Scan(&n).Error; err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	s.stmts.mu.RLock()
	defer s.stmts.mu.RUnlock()
	if len(s.stmts.stmts) != maxCachedStmts {
		t.Fatalf("%d statements cached, want %d", len(s.stmts.stmts), maxCachedStmts)
	}
}

func waitPrepared(t *testing.T, c *stmtCache, query string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c.mu.RLock()
		_, ok := c.stmts[query]
		c.mu.RUnlock()
		if ok {
			return
		}
	}
	t.Fatalf("%q was not prepared", query)
}
