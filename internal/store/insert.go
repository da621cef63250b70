package store

import (
	"sync"

	"gorm.io/gorm"
)

// executionInserts holds, by row count, the SQL of the upsert GORM builds
// for that many execution rows. SaveExecutions sends it with the rows'
// values itself (executionRow.appendArgs): GORM building the statement and
// reading the rows by reflection for every batch was an eighth of the
// recorder's CPU. TestExecutionInsertIsGorms holds both to GORM's.
type executionInserts struct {
	mu  sync.Mutex
	sql map[int]string
}

// insertExecutions upserts rows in one statement.
func (s *Store) insertExecutions(tx *gorm.DB, rows []executionRow) error {
	query, err := s.executionInsertSQL(len(rows))
	if err != nil {
		return err
	}
	args := make([]any, 0, len(rows)*executionColumns)
	for i := range rows {
		args = rows[i].appendArgs(args)
	}
	_, err = tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...)
	return err
}

// executionInsertSQL returns the upsert of n rows, built by GORM once.
func (s *Store) executionInsertSQL(n int) (string, error) {
	s.inserts.mu.Lock()
	defer s.inserts.mu.Unlock()
	if q, ok := s.inserts.sql[n]; ok {
		return q, nil
	}
	stmt, err := s.gormInsert(make([]executionRow, n))
	if err != nil {
		return "", err
	}
	if s.inserts.sql == nil {
		s.inserts.sql = map[int]string{}
	}
	q := stmt.SQL.String()
	s.inserts.sql[n] = q
	return q, nil
}

// gormInsert is the statement GORM builds to upsert rows, not run.
func (s *Store) gormInsert(rows []executionRow) (*gorm.Statement, error) {
	for i := range rows {
		if rows[i].ID == "" { // GORM leaves an empty primary key out
			rows[i].ID = "x"
		}
	}
	res := s.db.Session(&gorm.Session{DryRun: true, NewDB: true}).Clauses(executionUpsert).Create(&rows)
	return res.Statement, res.Error
}

// executionColumns is the number of executionRow's fields.
const executionColumns = 23

// appendArgs appends r's values in its fields' order, as GORM does.
func (r *executionRow) appendArgs(args []any) []any {
	return append(args,
		r.ID, r.FunctionID, r.OwnerID, r.FunctionName, r.Version, r.Trigger, r.Status, r.Reason,
		r.Error, r.Input, r.InputTruncated, r.Output, r.OutputTruncated, r.Logs, r.LogsTruncated,
		r.ColdStart, r.Attempts, r.MemoryMB, r.DurationMS, r.BilledMS, r.StartedAt, r.FinishedAt,
		r.CreatedAt)
}
