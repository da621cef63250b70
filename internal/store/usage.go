package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/voltrun/voltrun/internal/core"
)

type usageRow struct {
	OwnerID      string    `gorm:"column:owner_id;primaryKey"`
	Hour         time.Time `gorm:"column:hour;primaryKey"`
	FunctionID   string    `gorm:"column:function_id;primaryKey"`
	FunctionName string    `gorm:"column:function_name"`
	Invocations  int64     `gorm:"column:invocations"`
	Errors       int64     `gorm:"column:errors"`
	DurationMS   int64     `gorm:"column:duration_ms"`
	BilledMS     int64     `gorm:"column:billed_ms"`
	MBMS         int64     `gorm:"column:mb_ms"`
}

func (usageRow) TableName() string { return "usage_hourly" }

// usageAdd adds a batch's usage to the stored aggregates.
var usageAdd = clause.OnConflict{
	Columns: []clause.Column{{Name: "owner_id"}, {Name: "hour"}, {Name: "function_id"}},
	DoUpdates: clause.Set{
		{Column: clause.Column{Name: "function_name"}, Value: gorm.Expr("excluded.function_name")},
		{Column: clause.Column{Name: "invocations"}, Value: gorm.Expr("usage_hourly.invocations + excluded.invocations")},
		{Column: clause.Column{Name: "errors"}, Value: gorm.Expr("usage_hourly.errors + excluded.errors")},
		{Column: clause.Column{Name: "duration_ms"}, Value: gorm.Expr("usage_hourly.duration_ms + excluded.duration_ms")},
		{Column: clause.Column{Name: "billed_ms"}, Value: gorm.Expr("usage_hourly.billed_ms + excluded.billed_ms")},
		{Column: clause.Column{Name: "mb_ms"}, Value: gorm.Expr("usage_hourly.mb_ms + excluded.mb_ms")},
	},
}

// meterBatch bounds the rows of one marking statement (two parameters a
// row, well under both databases' limits).
const meterBatch = 1000

// meter adds the usage of the metered executions among rows (core.Metered)
// to the hourly aggregates and latency histograms, and queues
// invocation.failed deliveries for the failed ones, counting each
// execution once. It runs in SaveExecutions' transaction, so records,
// aggregates and deliveries commit or roll back together.
//
// A synchronous call's record that is stored (kept) counts when its stored
// row was not yet metered before this save (counted, from meteredBefore):
// its final record replaces a running one and is never replaced by an
// earlier state, and the recorder of the one server that ran it saves its
// records, a batch at a time. Asynchronous records can be replaced by an
// earlier state (a redelivery), and dropped records (their function is
// gone) leave no row, so those count when their usage_marks row is
// inserted, and a mark already there is skipped. The marks cost about a
// quarter of saving a batch of synchronous calls.
func (s *Store) meter(tx *gorm.DB, rows, kept []executionRow, counted map[string]bool, at time.Time) error {
	stored := make(map[string]bool, len(kept))
	for i := range kept {
		stored[kept[i].ID] = true
	}
	var toMark []*executionRow
	fresh := make(map[string]bool, len(rows))
	for i := range rows {
		r := &rows[i]
		switch {
		case !r.metered():
		case r.Trigger != core.TriggerAsync && stored[r.ID]:
			fresh[r.ID] = !counted[r.ID]
		default:
			toMark = append(toMark, r)
		}
	}
	marked, err := markCounted(tx, toMark, at)
	if err != nil {
		return err
	}
	for _, r := range marked {
		fresh[r.ID] = true
	}
	var metered []*executionRow
	for i := range rows {
		if fresh[rows[i].ID] {
			metered = append(metered, &rows[i])
		}
	}
	if len(metered) == 0 {
		return nil
	}
	if err := addUsage(tx, metered, at); err != nil {
		return err
	}
	if err := addLatency(tx, metered, at, s.latencyRowsPerInsert()); err != nil {
		return err
	}
	return queueFailures(tx, metered, at)
}

// meteredBefore returns the ids of the synchronous calls' records among
// kept whose stored row is already metered: those were counted when that
// row was saved. Only metered records are looked up.
func meteredBefore(tx *gorm.DB, kept []executionRow) (map[string]bool, error) {
	var ids []string
	for i := range kept {
		r := &kept[i]
		if r.Trigger != core.TriggerAsync && r.metered() {
			ids = append(ids, r.ID)
		}
	}
	counted := make(map[string]bool)
	for chunk := range slices.Chunk(ids, saveBatch) {
		var prior []executionRow
		err := tx.Select("id", "status", "trigger", "reason").Where("id IN ?", chunk).Find(&prior).Error
		if err != nil {
			return nil, err
		}
		for i := range prior {
			if p := &prior[i]; p.metered() {
				counted[strings.ToLower(p.ID)] = true
			}
		}
	}
	return counted, nil
}

// metered reports whether the record counts towards usage (core.Metered).
func (r *executionRow) metered() bool {
	e := core.Execution{Status: core.ExecStatus(r.Status), Trigger: r.Trigger, Reason: r.Reason}
	return core.Metered(&e)
}

// markCounted inserts a mark per row and returns the rows whose mark is
// new, in their order.
func markCounted(tx *gorm.DB, rows []*executionRow, at time.Time) ([]*executionRow, error) {
	inserted := make(map[string]bool, len(rows))
	for batch := range slices.Chunk(rows, meterBatch) {
		var sql strings.Builder
		sql.WriteString("INSERT INTO usage_marks (execution_id, counted_at) VALUES ")
		args := make([]any, 0, 2*len(batch))
		for i, r := range batch {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?)")
			args = append(args, r.ID, at)
		}
		sql.WriteString(" ON CONFLICT (execution_id) DO NOTHING RETURNING execution_id")
		var ids []string
		if err := tx.Raw(sql.String(), args...).Scan(&ids).Error; err != nil {
			return nil, err
		}
		for _, id := range ids {
			inserted[strings.ToLower(id)] = true
		}
	}
	fresh := make([]*executionRow, 0, len(inserted))
	for _, r := range rows {
		if inserted[r.ID] {
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

// addUsage sums rows per (owner, hour, function) and adds the sums to the
// aggregates, in key order so that concurrent batches lock aggregate rows
// in the same order and cannot deadlock.
func addUsage(tx *gorm.DB, rows []*executionRow, at time.Time) error {
	type key struct {
		owner string
		hour  time.Time
		fn    string
	}
	sums := make(map[key]*usageRow)
	for _, r := range rows {
		k := key{r.OwnerID, usageHour(r, at), r.FunctionID}
		u := sums[k]
		if u == nil {
			u = &usageRow{OwnerID: k.owner, Hour: k.hour, FunctionID: k.fn}
			sums[k] = u
		}
		u.FunctionName = r.FunctionName
		u.Invocations++
		if core.ExecStatus(r.Status).Failed() {
			u.Errors++
		}
		u.DurationMS += r.DurationMS
		u.BilledMS += r.BilledMS
		u.MBMS += int64(r.MemoryMB) * r.BilledMS
	}
	batch := make([]usageRow, 0, len(sums))
	for _, u := range sums {
		batch = append(batch, *u)
	}
	slices.SortFunc(batch, func(a, b usageRow) int {
		if c := strings.Compare(a.OwnerID, b.OwnerID); c != 0 {
			return c
		}
		if c := a.Hour.Compare(b.Hour); c != 0 {
			return c
		}
		return strings.Compare(a.FunctionID, b.FunctionID)
	})
	for chunk := range slices.Chunk(batch, saveBatch) {
		if err := tx.Clauses(usageAdd).Create(&chunk).Error; err != nil {
			return err
		}
	}
	return nil
}

// usageHour is the UTC hour an execution is metered in: the hour it
// started, else the hour it finished, else the hour it was saved.
func usageHour(r *executionRow, at time.Time) time.Time {
	t := at
	switch {
	case r.StartedAt != nil:
		t = *r.StartedAt
	case r.FinishedAt != nil:
		t = *r.FinishedAt
	}
	return t.UTC().Truncate(time.Hour)
}

// usageSums is the SELECT list of summed aggregates.
// PostgreSQL sums bigints as numeric; the casts bring them back to bigint.
const usageSums = "CAST(SUM(invocations) AS bigint) AS invocations, CAST(SUM(errors) AS bigint) AS errors, " +
	"CAST(SUM(duration_ms) AS bigint) AS duration_ms, CAST(SUM(billed_ms) AS bigint) AS billed_ms, " +
	"CAST(SUM(mb_ms) AS bigint) AS mb_ms"

type usageSumRow struct {
	Hour         time.Time `gorm:"column:hour"`
	OwnerID      string    `gorm:"column:owner_id"`
	FunctionID   string    `gorm:"column:function_id"`
	FunctionName string    `gorm:"column:function_name"`
	Email        string    `gorm:"column:email"`
	Role         string    `gorm:"column:role"`
	Plan         string    `gorm:"column:plan"`
	Invocations  int64     `gorm:"column:invocations"`
	Errors       int64     `gorm:"column:errors"`
	DurationMS   int64     `gorm:"column:duration_ms"`
	BilledMS     int64     `gorm:"column:billed_ms"`
	MBMS         int64     `gorm:"column:mb_ms"`
}

func (r *usageSumRow) totals() core.UsageTotals {
	return core.UsageTotals{
		Invocations: r.Invocations, Errors: r.Errors, DurationMS: r.DurationMS, BilledMS: r.BilledMS, MBMS: r.MBMS,
	}
}

// usageScope applies q's owner, function and hours to a query of table
// (usage_hourly or usage_latency, keyed alike); ok is false when q names an
// owner or function that is not a UUID, which has no usage.
func usageScope(db *gorm.DB, table string, q core.UsageQuery) (scoped *gorm.DB, ok bool) {
	db = db.Table(table).Where(table+".hour >= ? AND "+table+".hour < ?", normTime(q.From), normTime(q.To))
	if q.OwnerID != "" {
		id, valid := parseID(q.OwnerID)
		if !valid {
			return nil, false
		}
		db = db.Where(table+".owner_id = ?", id)
	}
	if q.FunctionID != "" {
		id, valid := parseID(q.FunctionID)
		if !valid {
			return nil, false
		}
		db = db.Where(table+".function_id = ?", id)
	}
	return db, true
}

// UsageSeries returns q's usage per UTC hour, oldest first, leaving out
// hours without usage.
func (s *Store) UsageSeries(ctx context.Context, q core.UsageQuery) ([]core.UsagePoint, error) {
	db, ok := usageScope(s.db.WithContext(ctx), "usage_hourly", q)
	if !ok || !q.From.Before(q.To) {
		return []core.UsagePoint{}, nil
	}
	var rows []usageSumRow
	err := db.Select("hour, " + usageSums).Group("hour").Order("hour").Scan(&rows).Error
	if err != nil {
		return nil, wrap("usage series", err)
	}
	points := make([]core.UsagePoint, len(rows))
	for i := range rows {
		points[i] = core.UsagePoint{Start: rows[i].Hour.UTC(), UsageTotals: rows[i].totals()}
	}
	return points, nil
}

// UsageBreakdown returns q's usage per function (with the name of its last
// metered execution) or per account (with the account's email and plan),
// in id order, leaving out groups without usage.
func (s *Store) UsageBreakdown(ctx context.Context, q core.UsageQuery, by core.UsageGroupBy) ([]core.UsageGroup, error) {
	db, ok := usageScope(s.db.WithContext(ctx), "usage_hourly", q)
	if !ok || !q.From.Before(q.To) {
		return []core.UsageGroup{}, nil
	}
	var rows []usageSumRow
	var err error
	switch by {
	case core.ByFunction:
		// The name of the function's latest hour: the latest hour's row
		// per function, joined back.
		err = db.Select("usage_hourly.owner_id, usage_hourly.function_id, " +
			"(SELECT u2.function_name FROM usage_hourly u2 WHERE u2.owner_id = usage_hourly.owner_id " +
			"AND u2.function_id = usage_hourly.function_id ORDER BY u2.hour DESC LIMIT 1) AS function_name, " +
			usageSums).
			Group("usage_hourly.owner_id, usage_hourly.function_id").
			Order("usage_hourly.owner_id, usage_hourly.function_id").Scan(&rows).Error
	case core.ByAccount:
		err = db.Select("usage_hourly.owner_id, COALESCE(MAX(users.email), '') AS email, " +
			"COALESCE(MAX(users.role), '') AS role, COALESCE(MAX(users.plan), '') AS plan, " + usageSums).
			Joins("LEFT JOIN users ON users.id = usage_hourly.owner_id").
			Group("usage_hourly.owner_id").Order("usage_hourly.owner_id").Scan(&rows).Error
	default:
		return nil, invalid("usage can be grouped by function or by account")
	}
	if err != nil {
		return nil, wrap("usage breakdown", err)
	}
	groups := make([]core.UsageGroup, len(rows))
	for i := range rows {
		r := &rows[i]
		groups[i] = core.UsageGroup{
			OwnerID: strings.ToLower(r.OwnerID), FunctionID: strings.ToLower(r.FunctionID), FunctionName: r.FunctionName,
			Email: r.Email, Role: core.Role(r.Role), Plan: r.Plan, UsageTotals: r.totals(),
		}
	}
	return groups, nil
}
