package store

import (
	"cmp"
	"context"
	"encoding/json"
	"iter"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/voltrun/voltrun/internal/core"
)

type executionRow struct {
	ID              string     `gorm:"column:id;primaryKey"`
	FunctionID      string     `gorm:"column:function_id"`
	OwnerID         string     `gorm:"column:owner_id"`
	FunctionName    string     `gorm:"column:function_name"`
	Version         string     `gorm:"column:version"`
	Trigger         string     `gorm:"column:trigger"`
	Status          string     `gorm:"column:status"`
	Reason          string     `gorm:"column:reason"`
	Error           *string    `gorm:"column:error"` // JSON object; NULL when none
	Input           []byte     `gorm:"column:input"`
	InputTruncated  bool       `gorm:"column:input_truncated"`
	Output          []byte     `gorm:"column:output"`
	OutputTruncated bool       `gorm:"column:output_truncated"`
	Logs            string     `gorm:"column:logs"`
	LogsTruncated   bool       `gorm:"column:logs_truncated"`
	ColdStart       bool       `gorm:"column:cold_start"`
	Attempts        int        `gorm:"column:attempts"`
	MemoryMB        int        `gorm:"column:memory_mb"`
	DurationMS      int64      `gorm:"column:duration_ms"`
	BilledMS        int64      `gorm:"column:billed_ms"`
	StartedAt       *time.Time `gorm:"column:started_at"`  // NULL for a zero time
	FinishedAt      *time.Time `gorm:"column:finished_at"` // NULL for a zero time
	CreatedAt       time.Time  `gorm:"column:created_at"`
}

func (executionRow) TableName() string { return "executions" }

// executionListColumns is every column but input, output and logs: lists
// must not read them.
var executionListColumns = []string{
	"id", "function_id", "owner_id", "function_name", "version", "trigger", "status", "reason", "error",
	"input_truncated", "output_truncated", "logs_truncated", "cold_start", "memory_mb", "duration_ms",
	"billed_ms", "started_at", "finished_at", "created_at", "attempts",
}

// executionUpsert replaces every column of a saved execution but its id
// and created_at, which keep the first save's, unless the stored record is
// a later state of the execution (core.Execution.Supersedes, in SQL).
var executionUpsert = clause.OnConflict{
	Columns: []clause.Column{{Name: "id"}},
	DoUpdates: clause.AssignmentColumns([]string{
		"function_id", "owner_id", "function_name", "version", "trigger", "status", "reason", "error",
		"input", "input_truncated", "output", "output_truncated", "logs", "logs_truncated", "cold_start",
		"memory_mb", "duration_ms", "billed_ms", "started_at", "finished_at", "attempts",
	}),
	Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: `excluded.attempts > executions.attempts OR
		(excluded.attempts = executions.attempts AND (excluded.status <> 'queued' OR executions.status = 'queued'))`}}},
}

// saveBatch bounds the rows of one statement: 500 rows of 23 columns stay
// well under the bound-parameter limits (PostgreSQL 65535, SQLite 32766).
const saveBatch = 500

// saveBatchSQLite bounds the execution rows of one statement on SQLite.
// Its driver binds a statement's parameters in one pass, so longer
// statements spread each statement's own cost (database/sql's argument
// conversion, the step's set-up and reset) over more rows: 256 rows a
// statement took 5-16 % off a 256-record batch against 24 (round 10 in
// docs/benchmarks.md). Every row count is a statement of its own, prepared
// on each connection, so a batch is split in powers of two (insertChunks).
const saveBatchSQLite = 256

// latencyRowsSQLite bounds the usage_latency rows of one statement on
// SQLite: a batch rarely has more histogram rows, and each count up to it
// is a prepared statement of its own.
const latencyRowsSQLite = 24

// latencyRowsPerInsert is how many usage_latency rows one statement writes.
func (s *Store) latencyRowsPerInsert() int {
	if s.dialect == DialectSQLite {
		return latencyRowsSQLite
	}
	return saveBatch
}

// insertChunks splits rows into the execution upserts that write them. On
// SQLite each is of a power of two rows up to saveBatchSQLite, largest
// first, so that whatever its size a batch takes at most nine statements
// of nine sizes.
func (s *Store) insertChunks(rows []executionRow) iter.Seq[[]executionRow] {
	if s.dialect != DialectSQLite {
		return slices.Chunk(rows, saveBatch)
	}
	return func(yield func([]executionRow) bool) {
		for len(rows) > 0 {
			n := min(saveBatchSQLite, 1<<(bits.Len(uint(len(rows)))-1))
			if !yield(rows[:n:n]) {
				return
			}
			rows = rows[n:]
		}
	}
}

func (r *executionRow) toCore(full bool) (core.Execution, error) {
	var fnErr *core.FunctionError
	if r.Error != nil {
		fnErr = &core.FunctionError{}
		if err := json.Unmarshal([]byte(*r.Error), fnErr); err != nil {
			return core.Execution{}, wrap("decode execution error", err)
		}
	}
	e := core.Execution{
		ID:              r.ID,
		FunctionID:      r.FunctionID,
		OwnerID:         r.OwnerID,
		FunctionName:    r.FunctionName,
		Version:         r.Version,
		Trigger:         r.Trigger,
		Status:          core.ExecStatus(r.Status),
		Reason:          r.Reason,
		Error:           fnErr,
		InputTruncated:  r.InputTruncated,
		OutputTruncated: r.OutputTruncated,
		LogsTruncated:   r.LogsTruncated,
		ColdStart:       r.ColdStart,
		Attempts:        r.Attempts,
		MemoryMB:        r.MemoryMB,
		DurationMS:      r.DurationMS,
		BilledMS:        r.BilledMS,
		StartedAt:       timeOrZero(r.StartedAt),
		FinishedAt:      timeOrZero(r.FinishedAt),
	}
	if full {
		// Non-nil even when empty: nil means "listed without input".
		e.Input, e.Output, e.Logs = nonNil(r.Input), nonNil(r.Output), r.Logs
	}
	return e, nil
}

// executionRowOf is the stored form of e. Every id must be a UUID; text is
// made storable on PostgreSQL (see storableText).
func executionRowOf(e *core.Execution, created time.Time) (executionRow, error) {
	id, okID := parseID(e.ID)
	fnID, okFn := parseID(e.FunctionID)
	ownerID, okOwner := parseID(e.OwnerID)
	if !okID || !okFn || !okOwner {
		return executionRow{}, invalid("execution, function and owner ids must be UUIDs")
	}
	var fnErr *string
	if e.Error != nil {
		b, err := json.Marshal(e.Error) // replaces invalid UTF-8, escapes NUL
		if err != nil {
			return executionRow{}, wrap("encode execution error", err)
		}
		s := string(b)
		fnErr = &s
	}
	return executionRow{
		ID:              id,
		FunctionID:      fnID,
		OwnerID:         ownerID,
		FunctionName:    storableText(e.FunctionName),
		Version:         storableText(e.Version),
		Trigger:         storableText(e.Trigger),
		Status:          storableText(string(e.Status)),
		Reason:          storableText(e.Reason),
		Error:           fnErr,
		Input:           nonNil(e.Input),
		InputTruncated:  e.InputTruncated,
		Output:          nonNil(e.Output),
		OutputTruncated: e.OutputTruncated,
		Logs:            storableText(e.Logs),
		LogsTruncated:   e.LogsTruncated,
		ColdStart:       e.ColdStart,
		Attempts:        e.Attempts,
		MemoryMB:        e.MemoryMB,
		DurationMS:      e.DurationMS,
		BilledMS:        e.BilledMS,
		StartedAt:       zeroAsNull(e.StartedAt),
		FinishedAt:      zeroAsNull(e.FinishedAt),
		CreatedAt:       created,
	}, nil
}

// storableText replaces what PostgreSQL's text refuses, NUL and invalid
// UTF-8 (logs cut at their cap can end mid-character), with U+FFFD, so a
// record reads back the same from both databases and one bad record never
// fails its batch.
func storableText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func zeroAsNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return normTimePtr(&t)
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// SaveExecutions inserts or replaces records by id, in one transaction and,
// for up to 500 distinct records, one statement. When a batch holds one id
// twice, the later record wins. Times are stored in UTC at microseconds; a
// zero StartedAt or FinishedAt stays zero. An id, function id or owner id
// that is not a UUID refuses the whole batch with CodeInvalid. A record is
// not saved over a stored one that supersedes it (core.Execution.Supersedes):
// a late "queued" never hides a run that has started.
//
// Records whose function no longer exists, or belongs to another owner than
// the record says, are dropped rather than failing the batch: the function
// was deleted while it ran, and its executions went with it. The functions
// of the other records stay locked until the transaction ends, so a
// concurrent delete waits and then cascades to the new rows.
//
// Finished records are metered in the same transaction (see UsageStore),
// dropped ones included, each execution once however often it is saved.
func (s *Store) SaveExecutions(ctx context.Context, execs []core.Execution) error {
	rows := make([]executionRow, 0, len(execs))
	at := make(map[string]int, len(execs))
	t := now()
	for i := range execs {
		row, err := executionRowOf(&execs[i], t)
		if err != nil {
			return err
		}
		// PostgreSQL refuses to upsert one row twice in a statement.
		if j, ok := at[row.ID]; ok {
			rows[j] = row
			continue
		}
		at[row.ID] = len(rows)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	// A fixed order makes concurrent batches lock rows in the same order,
	// so they cannot deadlock on PostgreSQL.
	slices.SortFunc(rows, func(a, b executionRow) int { return cmp.Compare(a.ID, b.ID) })

	dropped := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		kept, err := attached(tx, rows)
		if err != nil {
			return err
		}
		dropped = len(rows) - len(kept)
		counted, err := meteredBefore(tx, kept)
		if err != nil {
			return err
		}
		for batch := range s.insertChunks(kept) {
			if err := s.insertExecutions(tx, batch); err != nil {
				return err
			}
		}
		// Dropped records are metered too: they ran.
		return s.meter(tx, rows, kept, counted, t)
	})
	if err != nil {
		return wrap("save executions", err)
	}
	if dropped > 0 {
		s.log.Debug("dropped executions of deleted functions", zap.Int("dropped", dropped), zap.Int("saved", len(rows)-dropped))
	}
	return nil
}

// attached returns the rows whose function exists and belongs to the
// row's owner, in their order, and locks those functions and owners
// against deletion (FOR KEY SHARE on PostgreSQL; on SQLite the write
// transaction, begun IMMEDIATE, already excludes other writers). Owners are
// locked before functions, the order a user's deletion cascades in, so the
// two cannot deadlock.
func attached(tx *gorm.DB, rows []executionRow) ([]executionRow, error) {
	lock := clause.Locking{Strength: "KEY SHARE"}
	ownerIDs := distinct(rows, func(r *executionRow) string { return r.OwnerID })
	for ids := range slices.Chunk(ownerIDs, saveBatch) {
		var locked []string
		err := tx.Model(&userRow{}).Clauses(lock).Where("id IN ?", ids).Order("id").Pluck("id", &locked).Error
		if err != nil {
			return nil, err
		}
	}
	owners := make(map[string]string)
	fnIDs := distinct(rows, func(r *executionRow) string { return r.FunctionID })
	for ids := range slices.Chunk(fnIDs, saveBatch) {
		var fns []functionRow
		err := tx.Select("id", "owner_id").Clauses(lock).Where("id IN ?", ids).Order("id").Find(&fns).Error
		if err != nil {
			return nil, err
		}
		for _, f := range fns {
			owners[f.ID] = f.OwnerID
		}
	}
	kept := make([]executionRow, 0, len(rows))
	for _, r := range rows {
		if owners[r.FunctionID] == r.OwnerID {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// distinct returns the sorted distinct values of key over rows.
func distinct(rows []executionRow, key func(*executionRow) string) []string {
	vs := make([]string, 0, len(rows))
	for i := range rows {
		vs = append(vs, key(&rows[i]))
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}

// Execution finds an owner's execution by id, with its input, output and
// logs; another owner's is CodeNotFound.
func (s *Store) Execution(ctx context.Context, ownerID, id string) (*core.Execution, error) {
	ownerID, okOwner := parseID(ownerID)
	id, okID := parseID(id)
	if !okOwner || !okID {
		return nil, notFound("execution not found")
	}
	var row executionRow
	err := s.db.WithContext(ctx).Where("id = ? AND owner_id = ?", id, ownerID).Take(&row).Error
	if err != nil {
		return nil, mapReadError("get execution", "execution not found", err)
	}
	e, err := row.toCore(true)
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// listQuery selects a page of a function's executions, newest first. A
// status other than succeeded is also matched by a literal term: the index
// with statuses holds only those (migration 0008), and the planner uses a
// partial index only for a query whose terms imply its condition.
func listQuery(db *gorm.DB, fnID, ownerID string, status core.ExecStatus, before string, limit int) *gorm.DB {
	q := db.Model(&executionRow{}).Select(executionListColumns).Where("function_id = ? AND owner_id = ?", fnID, ownerID)
	if status != "" {
		q = q.Where("status = ?", string(status))
		if status != core.ExecSucceeded {
			q = q.Where("status <> 'succeeded'")
		}
	}
	if before != "" {
		q = q.Where("id < ?", before)
	}
	return q.Order("id DESC").Limit(limit)
}

// ListExecutions lists the executions of one of the owner's functions
// newest first (ids are UUIDv7, so id order is start order), optionally
// only those with a status, without input, output and logs (Input and
// Output nil, Logs empty). An empty or malformed FunctionID, or another
// owner's function, lists nothing.
func (s *Store) ListExecutions(ctx context.Context, ownerID string, f core.ExecutionFilter, p core.Page) ([]core.Execution, string, error) {
	before, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	ownerID, okOwner := parseID(ownerID)
	fnID, okFn := parseID(f.FunctionID)
	if !okOwner || !okFn {
		return []core.Execution{}, "", nil
	}
	limit := pageLimit(p)
	var rows []executionRow
	if err := listQuery(s.db.WithContext(ctx), fnID, ownerID, f.Status, before, limit+1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list executions", err)
	}
	execs := make([]core.Execution, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		e, err := rows[i].toCore(false)
		if err != nil {
			return nil, "", err
		}
		execs = append(execs, e)
	}
	next := ""
	if len(rows) > limit {
		next = encodeCursor(execs[len(execs)-1].ID)
	}
	return execs, next, nil
}
