package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

// captureQueries records the SQL of every query s runs through GORM.
func captureQueries(t *testing.T, s *Store) func() []string {
	t.Helper()
	var mu sync.Mutex
	var stmts []string
	capture := func(db *gorm.DB) {
		mu.Lock()
		defer mu.Unlock()
		stmts = append(stmts, db.Statement.SQL.String())
	}
	if err := s.db.Callback().Query().After("gorm:query").Register("test:capture", capture); err != nil {
		t.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), stmts...)
	}
}

// captureExecs records the SQL of every statement s executes (not queries)
// on its connections, in transactions too, including those it sends
// without GORM's callbacks.
func captureExecs(t *testing.T, s *Store) func() []string {
	t.Helper()
	rec := &execRecorder{}
	pool := &recordingPool{ConnPool: s.db.Statement.ConnPool, rec: rec}
	s.db.Statement.ConnPool = pool
	s.db.ConnPool = pool
	return func() []string {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return append([]string(nil), rec.stmts...)
	}
}

type execRecorder struct {
	mu    sync.Mutex
	stmts []string
}

// recordingPool passes statements to ConnPool and records those executed.
type recordingPool struct {
	gorm.ConnPool
	rec *execRecorder
}

func (p *recordingPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.rec.mu.Lock()
	p.rec.stmts = append(p.rec.stmts, query)
	p.rec.mu.Unlock()
	return p.ConnPool.ExecContext(ctx, query, args...)
}

func (p *recordingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	var tx gorm.ConnPool
	var err error
	switch b := p.ConnPool.(type) {
	case gorm.ConnPoolBeginner:
		tx, err = b.BeginTx(ctx, opts)
	case gorm.TxBeginner:
		tx, err = b.BeginTx(ctx, opts)
	default:
		return nil, gorm.ErrInvalidTransaction
	}
	if err != nil {
		return nil, err
	}
	return &recordingPool{ConnPool: tx, rec: p.rec}, nil
}

func (p *recordingPool) Commit() error   { return p.ConnPool.(gorm.TxCommitter).Commit() }
func (p *recordingPool) Rollback() error { return p.ConnPool.(gorm.TxCommitter).Rollback() }

func seedFunction(t *testing.T, s *Store, name string) *core.Function {
	t.Helper()
	u := &core.User{Email: name + "@example.com", PasswordHash: "h"}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	f := &core.Function{OwnerID: u.ID, Name: name, Runtime: core.RuntimeNode, Handler: "index.handler", MemoryMB: 128, TimeoutMS: 1000}
	if err := s.CreateFunction(t.Context(), f); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	return f
}

func executionsOf(t *testing.T, f *core.Function, n int) []core.Execution {
	t.Helper()
	execs := make([]core.Execution, n)
	for i := range execs {
		id, err := uuid.NewV7()
		if err != nil {
			t.Fatal(err)
		}
		execs[i] = core.Execution{
			ID: id.String(), FunctionID: f.ID, OwnerID: f.OwnerID, FunctionName: f.Name, Trigger: "api",
			Status: core.ExecSucceeded, Input: []byte("{}"), Logs: "log", StartedAt: time.Now(),
		}
	}
	return execs
}

// TestSaveExecutionsStatements checks how a recorder's batch is split into
// INSERT (upsert) statements: on SQLite powers of two rows, at most 256 a
// statement, so that few sizes are prepared; on PostgreSQL up to 500.
func TestSaveExecutionsStatements(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, b.options(t))
			f := seedFunction(t, s, "batched")
			inserts := captureExecs(t, s)
			// SQLite writes powers of two rows a statement, at most 256;
			// PostgreSQL up to 500.
			tests := []struct {
				n, want int
			}{{256, 1}, {257, 2}, {300, 4}, {200, 3}}
			if b.name == DialectPostgres {
				tests = []struct{ n, want int }{{500, 1}, {501, 2}, {300, 1}, {1200, 3}}
			}
			total := int64(0)
			for _, tt := range tests {
				before := len(inserts())
				total += int64(tt.n)
				if err := s.SaveExecutions(t.Context(), executionsOf(t, f, tt.n)); err != nil {
					t.Fatalf("SaveExecutions(%d): %v", tt.n, err)
				}
				// Metering writes its own tables in the same transaction.
				got := slices.DeleteFunc(inserts()[before:], func(stmt string) bool {
					return !strings.Contains(stmt, "INSERT INTO `executions`") && !strings.Contains(stmt, `INSERT INTO "executions"`)
				})
				if len(got) != tt.want {
					t.Fatalf("%d records took %d statements, want %d", tt.n, len(got), tt.want)
				}
				if !strings.Contains(got[0], "ON CONFLICT") {
					t.Fatalf("statement %q is not an upsert", got[0])
				}
			}
			if n, want := countRows(t, s, "executions"), total; n != want {
				t.Fatalf("executions has %d rows, want %d", n, want)
			}
		})
	}
}

// TestListExecutionsSkipsBlobs checks the SQL ListExecutions sends names
// its columns and leaves out input, output and logs; the suite can only see
// that they come back empty.
func TestListExecutionsSkipsBlobs(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, b.options(t))
			queries := captureQueries(t, s)
			filter := core.ExecutionFilter{FunctionID: uuid.NewString(), Status: core.ExecFailed}
			if _, _, err := s.ListExecutions(t.Context(), uuid.NewString(), filter, core.Page{}); err != nil {
				t.Fatalf("ListExecutions: %v", err)
			}
			got := queries()
			if len(got) != 1 {
				t.Fatalf("captured %d queries, want 1", len(got))
			}
			q := got[0]
			if !strings.Contains(q, "input_truncated") || strings.Contains(q, "*") {
				t.Fatalf("ListExecutions query %q must name its columns", q)
			}
			for _, col := range []string{"input", "output", "logs"} {
				if strings.Contains(q, `"`+col+`"`) || strings.Contains(q, "`"+col+"`") {
					t.Fatalf("ListExecutions query %q reads %s", q, col)
				}
			}
		})
	}
}

// TestUpgradeFrom0001 migrates a database as the first release left it:
// existing functions get the default concurrency cap, and where owners had
// published the same name, the oldest keeps it public.
func TestUpgradeFrom0001(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			opts := b.options(t)
			dialector, dialect, err := dialectorFor(opts)
			if err != nil {
				t.Fatal(err)
			}
			db, err := gorm.Open(dialector, &gorm.Config{Logger: newGormLogger(zap.NewNop())})
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, err := db.DB()
			if err != nil {
				t.Fatal(err)
			}
			ms, err := loadMigrations(migrationFiles, "migrations/"+dialect)
			if err != nil {
				t.Fatal(err)
			}
			if err := applyMigrations(ctx, sqlDB, dialect, ms[:1], zap.NewNop()); err != nil {
				t.Fatalf("apply 0001: %v", err)
			}
			var owners, fns []string
			for range 3 {
				owners, fns = append(owners, uuid.Must(uuid.NewV7()).String()), append(fns, uuid.Must(uuid.NewV7()).String())
			}
			for i, public := range []bool{true, true, false} { // two owners published "dup"
				err := db.Exec(`INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (?, ?, 'h', ?, ?)`,
					owners[i], owners[i]+"@example.com", now(), now()).Error
				if err == nil {
					err = db.Exec(`INSERT INTO functions (id, owner_id, name, runtime, handler, memory_mb, timeout_ms,
						public, created_at, updated_at) VALUES (?, ?, 'dup', 'nodejs', 'index.handler', 128, 1000, ?, ?, ?)`,
						fns[i], owners[i], public, now(), now()).Error
				}
				if err != nil {
					t.Fatalf("seed: %v", err)
				}
			}
			if err := sqlDB.Close(); err != nil {
				t.Fatal(err)
			}

			s := openTest(t, opts)
			for i, wantPublic := range []bool{true, false, false} {
				f, err := s.Function(ctx, owners[i], fns[i])
				if err != nil {
					t.Fatalf("Function: %v", err)
				}
				if f.MaxConcurrency != core.DefaultMaxConcurrency || f.Public != wantPublic {
					t.Errorf("function %d: MaxConcurrency %d, Public %v; want %d, %v",
						i, f.MaxConcurrency, f.Public, core.DefaultMaxConcurrency, wantPublic)
				}
			}
			if f, err := s.PublicFunction(ctx, "dup"); err != nil || f.ID != fns[0] {
				t.Fatalf("PublicFunction(dup) = %v, %v; want the oldest, %s", f, err, fns[0])
			}
		})
	}
}

// TestListExecutionsIndexes: every page of executions, by any status or
// none, is read in order from an index, the partial one with statuses only
// for the statuses it holds. PostgreSQL plans small tables with sequential
// scans and bitmaps, so those are turned off: the plan shows that the index
// can serve the query, which is what the planner picks on a large table.
func TestListExecutionsIndexes(t *testing.T) {
	t.Parallel()
	const (
		plain   = "executions_function_id_owner_id_id_idx"
		partial = "executions_function_id_owner_id_status_id_idx"
	)
	cases := []struct {
		status core.ExecStatus
		index  string
	}{
		{"", plain}, {core.ExecSucceeded, plain}, {core.ExecFailed, partial}, {core.ExecTimeout, partial}, {core.ExecQueued, partial},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, b.options(t))
			for _, tt := range cases {
				for _, before := range []string{"", uuid.NewString()} {
					dry := s.db.Session(&gorm.Session{DryRun: true})
					stmt := listQuery(dry, uuid.NewString(), uuid.NewString(), tt.status, before, 51).Find(&[]executionRow{}).Statement
					plan := explain(t, s, stmt.SQL.String(), stmt.Vars)
					if !strings.Contains(plan, tt.index) || strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort") {
						t.Errorf("status %q, cursor %v: want an ordered read of %s, got plan:\n%s", tt.status, before != "", tt.index, plan)
					}
				}
			}
		})
	}
}

// explain returns the database's plan for query.
func explain(t *testing.T, s *Store, query string, vars []any) string {
	t.Helper()
	tx, err := s.sqlDB.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer func() { _ = tx.Rollback() }()
	prefix := "EXPLAIN QUERY PLAN "
	if s.dialect == DialectPostgres {
		prefix = "EXPLAIN "
		if _, err := tx.ExecContext(t.Context(), "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off"); err != nil {
			t.Fatalf("set planner options: %v", err)
		}
	}
	rows, err := tx.QueryContext(t.Context(), prefix+query, vars...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer func() { _ = rows.Close() }()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		for i := range vals {
			vals[i] = new(any)
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("scan plan: %v", err)
		}
		plan = append(plan, fmt.Sprint(*vals[len(vals)-1].(*any)))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read plan: %v", err)
	}
	return strings.Join(plan, "\n")
}

// TestExecutionInsertIsGorms: the statement SaveExecutions sends is the one
// GORM builds for the rows, with the values GORM would bind.
func TestExecutionInsertIsGorms(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := openTest(t, b.options(t))
			f := &core.Function{ID: uuid.NewString(), OwnerID: uuid.NewString(), Name: "f", MemoryMB: 128}
			execs := executionsOf(t, f, 3)
			execs[1].Error = &core.FunctionError{Type: "Error", Message: "boom"}
			execs[2].StartedAt, execs[2].FinishedAt = time.Time{}, time.Time{}
			rows := make([]executionRow, len(execs))
			for i := range execs {
				r, err := executionRowOf(&execs[i], time.Now())
				if err != nil {
					t.Fatal(err)
				}
				rows[i] = r
			}
			want, err := s.gormInsert(slices.Clone(rows))
			if err != nil {
				t.Fatalf("GORM's statement: %v", err)
			}
			got, err := s.executionInsertSQL(len(rows))
			if err != nil {
				t.Fatalf("executionInsertSQL: %v", err)
			}
			if got != want.SQL.String() {
				t.Errorf("SQL\n got %s\nwant %s", got, want.SQL.String())
			}
			var args []any
			for i := range rows {
				args = rows[i].appendArgs(args)
			}
			if !reflect.DeepEqual(args, want.Vars) {
				t.Errorf("values\n got %#v\nwant %#v", args, want.Vars)
			}
		})
	}
}
