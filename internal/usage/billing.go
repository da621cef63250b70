package usage

import (
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// Billed rounds a run time up to whole granules of granularityMS (1 when
// not positive), at least one granule: a 0 ms call bills one granule.
func Billed(durationMS, granularityMS int64) int64 {
	g := max(granularityMS, 1)
	n := (max(durationMS, 0) + g - 1) / g
	return max(n, 1) * g
}

// MonthStart is the first instant of t's calendar month in UTC: quotas and
// usage reports count calendar months in UTC.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// NextMonth is the first instant of the month after t's, in UTC.
func NextMonth(t time.Time) time.Time { return MonthStart(t).AddDate(0, 1, 0) }

// Totals is usage as the API and webhooks show it.
type Totals struct {
	Invocations int64   `json:"invocations"`
	Errors      int64   `json:"errors"`
	DurationMS  int64   `json:"duration_ms"`
	BilledMS    int64   `json:"billed_ms"`
	GBSeconds   float64 `json:"gb_seconds"`
}

// TotalsOf shows t.
func TotalsOf(t core.UsageTotals) Totals {
	return Totals{
		Invocations: t.Invocations, Errors: t.Errors, DurationMS: t.DurationMS, BilledMS: t.BilledMS,
		GBSeconds: t.GBSeconds(),
	}
}
