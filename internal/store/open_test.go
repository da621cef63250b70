package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

// TestReopen checks data survives Close and that opening an up-to-date
// database again applies nothing (migrations are idempotent).
func TestReopen(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			opts := b.options(t)
			ctx := t.Context()
			s, err := Open(ctx, opts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if s.Dialect() != b.name {
				t.Errorf("Dialect() = %q, want %q", s.Dialect(), b.name)
			}
			u := &core.User{Email: "keep@example.com", PasswordHash: "h"}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			f := &core.Function{
				OwnerID: u.ID, Name: "keep", Runtime: core.RuntimeNode, Handler: "index.handler",
				MemoryMB: 128, TimeoutMS: 1000, Code: []byte("code"),
			}
			if err := s.CreateFunction(ctx, f); err != nil {
				t.Fatalf("CreateFunction: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}

			for range 2 {
				s = openTest(t, opts)
				got, err := s.Function(ctx, u.ID, "keep")
				if err != nil || string(got.Code) != "code" || !got.CreatedAt.Equal(f.CreatedAt) {
					t.Fatalf("after reopen: Function = %+v, %v", got, err)
				}
				if n, want := countRows(t, s, "schema_migrations"), migrationCount(t, b.name); n != want {
					t.Fatalf("schema_migrations has %d rows, want %d", n, want)
				}
			}
		})
	}
}

// TestSchemaTooNew checks Open refuses a database a newer binary migrated.
func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			opts := b.options(t)
			s := openTest(t, opts)
			err := s.db.WithContext(t.Context()).
				Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", 9999, now()).Error
			if err != nil {
				t.Fatalf("insert future version: %v", err)
			}
			s2, err := Open(t.Context(), opts)
			if err == nil {
				_ = s2.Close()
				t.Fatal("Open succeeded on a newer schema")
			}
			if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
				t.Fatalf("Open error = %v, want ErrSchemaTooNew naming version 9999", err)
			}
		})
	}
}

// TestConcurrentOpen starts several servers on one empty database at once:
// the migration lock must let exactly one apply each migration.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			opts := b.options(t)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() {
					s, err := Open(t.Context(), opts)
					if err == nil {
						err = s.Close()
					}
					errs[i] = err
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatalf("concurrent Open: %v", err)
			}
			if n, want := countRows(t, openTest(t, opts), "schema_migrations"), migrationCount(t, b.name); n != want {
				t.Fatalf("schema_migrations has %d rows, want %d (one per migration)", n, want)
			}
		})
	}
}

func TestOpenSQLiteSettings(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	s := openTest(t, Options{DataDir: dir})
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, SQLiteFile)); err != nil {
		t.Fatalf("database file: %v", err)
	}
	for pragma, want := range map[string]string{
		"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "page_size": "16384",
	} {
		var got string
		if err := s.db.WithContext(t.Context()).Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
}

// A database created with 4 KiB pages, as before sqlitePageSize, keeps
// them (changing a WAL database's page size takes a VACUUM out of WAL) and
// opens in WAL mode with its rows intact.
func TestOpenKeepsAnExistingPageSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old, err := sql.Open("sqlite", filepath.Join(dir, SQLiteFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "CREATE TABLE kept (v TEXT)", "INSERT INTO kept VALUES ('x')"} {
		if _, err := old.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, Options{DataDir: dir})
	for pragma, want := range map[string]string{"journal_mode": "wal", "page_size": "4096"} {
		var got string
		if err := s.db.WithContext(t.Context()).Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
	if n := countRows(t, s, "kept"); n != 1 {
		t.Errorf("kept has %d rows, want 1", n)
	}
	u := &core.User{Email: "old@example.com", PasswordHash: "h"}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser on the old database: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		want    string
		notWant string
	}{
		{"unknown scheme", Options{DatabaseURL: "mysql://root:s3cret@db/voltrun"}, `unsupported database url scheme "mysql"`, "s3cret"},
		{"not a url", Options{DatabaseURL: "host=db password=s3cret"}, "unsupported database url scheme", "s3cret"},
		{"no data dir", Options{}, "data dir is empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.Context(), tt.opts)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || (tt.notWant != "" && strings.Contains(err.Error(), tt.notWant)) {
				t.Fatalf("Open error = %q, want it to contain %q and not %q", err, tt.want, tt.notWant)
			}
		})
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := Open(ctx, sqliteOptions(t)); err == nil {
		_ = s.Close()
		t.Fatal("Open with a cancelled context succeeded")
	}
}

// TestErrorMessages pins the user-facing messages and checks GORM's
// sentinel never escapes, on both databases.
func TestErrorMessages(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, b.options(t))
			ctx := t.Context()
			u := &core.User{Email: "msg@example.com", PasswordHash: "h"}
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			f := &core.Function{OwnerID: u.ID, Name: "f", Runtime: core.RuntimeNode}
			if err := s.CreateFunction(ctx, f); err != nil {
				t.Fatalf("CreateFunction: %v", err)
			}
			_, errFn := s.Function(ctx, u.ID, uuid.NewString())
			_, errUser := s.UserByEmail(ctx, "none@example.com")
			_, errKey := s.KeyByHash(ctx, "none")
			_, errPublic := s.PublicFunction(ctx, "f")
			_, errExec := s.Execution(ctx, u.ID, uuid.NewString())
			// A public "pub" of another owner: u's private "pub" may not
			// join it, while u's own names still answer the per-owner message.
			v := &core.User{Email: "msg-other@example.com", PasswordHash: "h"}
			w := &core.User{Email: "msg-third@example.com", PasswordHash: "h"}
			for _, o := range []*core.User{v, w} {
				if err := s.CreateUser(ctx, o); err != nil {
					t.Fatalf("CreateUser: %v", err)
				}
			}
			if err := s.CreateFunction(ctx, &core.Function{OwnerID: v.ID, Name: "pub", Public: true}); err != nil {
				t.Fatalf("CreateFunction(public): %v", err)
			}
			private := &core.Function{OwnerID: u.ID, Name: "pub"}
			if err := s.CreateFunction(ctx, private); err != nil {
				t.Fatalf("CreateFunction(private): %v", err)
			}
			private.Public = true
			const publicTaken = "a public function with this name already exists"
			tests := []struct {
				name string
				err  error
				want string
			}{
				{"function not found", errFn, "function not found"},
				{"user not found", errUser, "user not found"},
				{"key not found", errKey, "API key not found"},
				{"email taken", s.CreateUser(ctx, &core.User{Email: "MSG@example.com"}), "an account with this email already exists"},
				{"user id taken", s.CreateUser(ctx, &core.User{ID: u.ID, Email: "x@example.com"}), "an account with this id already exists"},
				{"name taken", s.CreateFunction(ctx, &core.Function{OwnerID: u.ID, Name: "f"}), "a function with this name already exists"},
				{"public name taken", s.CreateFunction(ctx, &core.Function{OwnerID: w.ID, Name: "pub", Public: true}), publicTaken},
				{"made public onto a taken name", s.UpdateFunction(ctx, private), publicTaken},
				{"public name taken by own private", s.CreateFunction(ctx, &core.Function{OwnerID: u.ID, Name: "f", Public: true}), "a function with this name already exists"},
				{"public function not found", errPublic, "function not found"},
				{"execution not found", errExec, "execution not found"},
				{"execution id", s.SaveExecutions(ctx, []core.Execution{{ID: "e", FunctionID: f.ID, OwnerID: u.ID}}), "execution, function and owner ids must be UUIDs"},
				{"function id taken", s.CreateFunction(ctx, &core.Function{ID: f.ID, OwnerID: u.ID, Name: "g"}), "a function with this id already exists"},
				{"owner missing", s.CreateFunction(ctx, &core.Function{OwnerID: uuid.NewString(), Name: "g"}), "owner not found"},
				{"user missing", s.CreateKey(ctx, &core.APIKey{UserID: uuid.NewString(), Hash: "h"}), "user not found"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var e *core.Error
					if !errors.As(tt.err, &e) || e.Message != tt.want {
						t.Fatalf("error = %v, want a *core.Error with message %q", tt.err, tt.want)
					}
					if errors.Is(tt.err, gorm.ErrRecordNotFound) {
						t.Fatalf("error %v wraps gorm.ErrRecordNotFound", tt.err)
					}
				})
			}
		})
	}
}

// TestInternalErrorsWrapped checks a failure with no domain meaning comes
// back wrapped with its operation, not as a *core.Error.
func TestInternalErrorsWrapped(t *testing.T) {
	t.Parallel()
	s := openTest(t, sqliteOptions(t))
	if err := s.db.Exec("DROP TABLE functions").Error; err != nil {
		t.Fatalf("drop: %v", err)
	}
	_, _, err := s.ListFunctions(t.Context(), uuid.NewString(), core.Page{})
	var e *core.Error
	if err == nil || errors.As(err, &e) || !strings.HasPrefix(err.Error(), "store: list functions: ") {
		t.Fatalf("error = %v, want a wrapped internal error", err)
	}
	if core.ErrorCode(err) != core.CodeInternal {
		t.Fatalf("ErrorCode = %s, want internal", core.ErrorCode(err))
	}
}

// migrationCount is how many migrations this binary embeds for dialect.
func migrationCount(t *testing.T, dialect string) int64 {
	t.Helper()
	ms, err := loadMigrations(migrationFiles, "migrations/"+dialect)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(ms))
}

func countRows(t *testing.T, s *Store, table string) int64 {
	t.Helper()
	var n int64
	if err := s.db.WithContext(t.Context()).Table(table).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// TestListSkipsCode checks the SQL ListFunctions sends names its columns
// and leaves out the code blob; the suite can only see that Code is nil.
func TestListSkipsCode(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, b.options(t))
			var mu sync.Mutex
			var queries []string
			err := s.db.Callback().Query().After("gorm:query").Register("test:capture", func(db *gorm.DB) {
				mu.Lock()
				defer mu.Unlock()
				queries = append(queries, db.Statement.SQL.String())
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.ListFunctions(t.Context(), uuid.NewString(), core.Page{}); err != nil {
				t.Fatalf("ListFunctions: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(queries) != 1 {
				t.Fatalf("captured %d queries, want 1", len(queries))
			}
			q := queries[0]
			if !strings.Contains(q, "code_sha256") || strings.Contains(q, "*") ||
				strings.Contains(q, `"code"`) || strings.Contains(q, "`code`") {
				t.Fatalf("ListFunctions query %q must name its columns and skip code", q)
			}
		})
	}
}
