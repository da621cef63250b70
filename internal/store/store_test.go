package store

import (
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/store/storetest"
	"github.com/voltrun/voltrun/internal/testdb"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) core.Store { return openTest(t, sqliteOptions(t)) })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) core.Store { return openTest(t, postgresOptions(t)) })
}

// backends lists both databases for store-level tests; each entry returns
// options for a fresh, empty database.
var backends = []struct {
	name    string
	options func(t *testing.T) Options
}{
	{DialectSQLite, sqliteOptions},
	{DialectPostgres, postgresOptions},
}

func sqliteOptions(t *testing.T) Options {
	return Options{DataDir: t.TempDir(), Logger: zaptest.NewLogger(t)}
}

// postgresOptions gives t a schema of its own, dropped when t ends.
func postgresOptions(t *testing.T) Options {
	return Options{DatabaseURL: testdb.Postgres(t), Logger: zaptest.NewLogger(t)}
}

// openTest opens a store for t and closes it when t ends.
func openTest(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}
