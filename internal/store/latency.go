package store

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

// latencyKey is one row of usage_latency: a duration bucket of a
// function's hour.
type latencyKey struct {
	owner  string
	hour   time.Time
	fn     string
	bucket int
}

func compareLatencyKeys(a, b latencyKey) int {
	if c := strings.Compare(a.owner, b.owner); c != 0 {
		return c
	}
	if c := a.hour.Compare(b.hour); c != 0 {
		return c
	}
	if c := strings.Compare(a.fn, b.fn); c != 0 {
		return c
	}
	return cmp.Compare(a.bucket, b.bucket)
}

// latencyParams is how many parameters one usage_latency row binds.
const latencyParams = 5

// addLatency counts the durations of rows in their hour's histogram: it
// counts them per (owner, hour, function, bucket) here, then adds the
// counts with multi-row upserts of at most perInsert rows
// (latencyRowsPerInsert: on SQLite each row count is a statement prepared
// of its own, and 24 rows a statement measured no slower than 110), in
// key order so that concurrent batches lock histogram rows in the same
// order and cannot deadlock.
func addLatency(tx *gorm.DB, rows []*executionRow, at time.Time, perInsert int) error {
	counts := make(map[latencyKey]int64, len(rows))
	for _, r := range rows {
		counts[latencyKey{r.OwnerID, usageHour(r, at), r.FunctionID, core.LatencyBucket(r.DurationMS)}]++
	}
	keys := slices.SortedFunc(maps.Keys(counts), compareLatencyKeys)
	var sql strings.Builder
	args := make([]any, 0, latencyParams*min(len(keys), perInsert))
	for chunk := range slices.Chunk(keys, perInsert) {
		sql.Reset()
		args = args[:0]
		sql.WriteString("INSERT INTO usage_latency (owner_id, hour, function_id, bucket, count) VALUES ")
		for i, k := range chunk {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, k.owner, k.hour, k.fn, k.bucket, counts[k])
		}
		sql.WriteString(" ON CONFLICT (owner_id, hour, function_id, bucket) " +
			"DO UPDATE SET count = usage_latency.count + excluded.count")
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
}

type latencySumRow struct {
	Hour   time.Time `gorm:"column:hour"`
	Bucket int       `gorm:"column:bucket"`
	Count  int64     `gorm:"column:count"`
}

// UsageLatency returns q's duration histogram per UTC hour, oldest first,
// leaving out hours without durations.
func (s *Store) UsageLatency(ctx context.Context, q core.UsageQuery) ([]core.LatencyPoint, error) {
	db, ok := usageScope(s.db.WithContext(ctx), "usage_latency", q)
	if !ok || !q.From.Before(q.To) {
		return []core.LatencyPoint{}, nil
	}
	var rows []latencySumRow
	// PostgreSQL sums bigints as numeric; the cast brings them back.
	err := db.Select("hour, bucket, CAST(SUM(count) AS bigint) AS count").
		Group("hour, bucket").Order("hour, bucket").Scan(&rows).Error
	if err != nil {
		return nil, wrap("usage latency", err)
	}
	points := []core.LatencyPoint{}
	for _, r := range rows {
		if r.Count <= 0 {
			continue
		}
		if n := len(points); n == 0 || !points[n-1].Start.Equal(r.Hour) {
			points = append(points, core.LatencyPoint{Start: r.Hour.UTC()})
		}
		points[len(points)-1].AddBucket(r.Bucket, r.Count)
	}
	return points, nil
}
