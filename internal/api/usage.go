package api

import (
	"math"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/usage"
)

// Bounds of a usage time series: buckets in one answer.
const (
	maxHourBuckets = 31 * 24
	maxDayBuckets  = 366
)

// usagePeriod is a validated GET /api/usage query.
type usagePeriod struct {
	from, to    time.Time // bucket-aligned, [from, to)
	granularity core.Granularity
}

// usagePoint is one bucket of the series.
type usagePoint struct {
	Start time.Time `json:"start"`
	usage.Totals
	latency
}

// usageTotals is the period's usage with its duration percentiles.
type usageTotals struct {
	usage.Totals
	latency
}

// latency is the median and 95th percentile of the durations of the
// metered executions (those counted in invocations), in ms, interpolated
// inside the histogram bucket that holds them (see core.LatencyBucket:
// within 20% of the true value) and rounded to 0.1 ms; null when no
// duration was counted.
type latency struct {
	P50MS *float64 `json:"p50_ms"`
	P95MS *float64 `json:"p95_ms"`
}

func latencyOf(h *core.LatencyHistogram) latency {
	quantile := func(q float64) *float64 {
		v, ok := h.Quantile(q)
		if !ok {
			return nil
		}
		v = math.Round(v*10) / 10
		return &v
	}
	return latency{P50MS: quantile(0.5), P95MS: quantile(0.95)}
}

// functionUsage is one function's share of the period.
type functionUsage struct {
	FunctionID   string `json:"function_id"`
	FunctionName string `json:"function_name"`
	usage.Totals
}

// usageResponse answers GET /api/usage (and, with Accounts,
// GET /api/admin/usage).
type usageResponse struct {
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	Granularity core.Granularity `json:"granularity"`
	FunctionID  string           `json:"function_id,omitempty"`
	Totals      usageTotals      `json:"totals"`
	Series      []usagePoint     `json:"series"`
	Functions   []functionUsage  `json:"functions,omitempty"`
	Accounts    []accountUsage   `json:"accounts,omitempty"`
}

// periodOf reads ?from=, ?to= (RFC 3339 times or YYYY-MM-DD dates, UTC)
// and ?granularity= (hour or day, default day). The default period is the
// current month to now. from is rounded down and to up to whole buckets.
func periodOf(c *fiber.Ctx, now time.Time) (usagePeriod, error) {
	fe := core.FieldErrors{}
	p := usagePeriod{granularity: core.Granularity(c.Query("granularity", string(core.GranularityDay)))}
	bucket, maxBuckets := 24*time.Hour, maxDayBuckets
	switch p.granularity {
	case core.GranularityDay:
	case core.GranularityHour:
		bucket, maxBuckets = time.Hour, maxHourBuckets
	default:
		fe.Add("granularity", `must be "hour" or "day"`)
	}
	p.from, p.to = usage.MonthStart(now), now
	for _, q := range []struct {
		name string
		dst  *time.Time
	}{{"from", &p.from}, {"to", &p.to}} {
		if v := c.Query(q.name); v != "" {
			t, ok := parseWhen(v)
			if !ok {
				fe.Add(q.name, "must be an RFC 3339 time (2026-01-02T15:04:05Z) or a date (2026-01-02)")
				continue
			}
			*q.dst = t
		}
	}
	if err := fe.Err(); err != nil {
		return p, err
	}
	p.from = p.from.Truncate(bucket)
	if end := p.to.Truncate(bucket); end.Before(p.to) {
		p.to = end.Add(bucket)
	}
	switch {
	case !p.from.Before(p.to):
		fe.Add("to", "must be after from")
	case int(p.to.Sub(p.from)/bucket) > maxBuckets:
		fe.Add("to", "the period may span at most 744 hours (granularity=hour) or 366 days (granularity=day)")
	}
	return p, fe.Err()
}

// parseWhen reads an RFC 3339 time or a YYYY-MM-DD date, as UTC.
func parseWhen(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// getUsage serves GET /api/usage: the caller's usage in the period, as
// totals, a series without gaps, and per function.
func (s *Server) getUsage(c *fiber.Ctx) error {
	p, err := periodOf(c, time.Now().UTC())
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	q := core.UsageQuery{OwnerID: principalOf(c).UserID, From: p.from, To: p.to}
	if ref := c.Query("function_id"); ref != "" {
		// An id is taken as is (a deleted function's usage stays
		// readable); a name must name one of the caller's functions.
		if _, err := uuid.Parse(ref); err == nil {
			q.FunctionID = ref
		} else {
			f, err := s.cache.Function(ctx, q.OwnerID, ref)
			if err != nil {
				return err
			}
			q.FunctionID = f.ID
		}
	}
	res, err := s.usageOf(c, p, q)
	if err != nil {
		return err
	}
	res.FunctionID = q.FunctionID
	if q.FunctionID == "" {
		groups, err := s.store.UsageBreakdown(ctx, q, core.ByFunction)
		if err != nil {
			return err
		}
		res.Functions = make([]functionUsage, len(groups))
		for i, g := range groups {
			res.Functions[i] = functionUsage{FunctionID: g.FunctionID, FunctionName: g.FunctionName, Totals: usage.TotalsOf(g.UsageTotals)}
		}
	}
	return c.JSON(res)
}

// usageOf returns the totals and series of q in p.
func (s *Server) usageOf(c *fiber.Ctx, p usagePeriod, q core.UsageQuery) (*usageResponse, error) {
	points, err := s.store.UsageSeries(c.UserContext(), q)
	if err != nil {
		return nil, err
	}
	latencies, err := s.store.UsageLatency(c.UserContext(), q)
	if err != nil {
		return nil, err
	}
	bucket := time.Hour
	if p.granularity == core.GranularityDay {
		bucket = 24 * time.Hour
	}
	n := int(p.to.Sub(p.from) / bucket)
	sums := make([]core.UsageTotals, n)
	var total core.UsageTotals
	for _, pt := range points {
		i := int(pt.Start.Sub(p.from) / bucket)
		if i >= 0 && i < n {
			sums[i].Add(pt.UsageTotals)
			total.Add(pt.UsageTotals)
		}
	}
	series := make([]usagePoint, n)
	for i := range sums {
		series[i] = usagePoint{Start: p.from.Add(time.Duration(i) * bucket), Totals: usage.TotalsOf(sums[i])}
	}
	pct := seriesLatency(series, latencies, p.from, bucket)
	return &usageResponse{
		From: p.from, To: p.to, Granularity: p.granularity,
		Totals: usageTotals{Totals: usage.TotalsOf(total), latency: pct}, Series: series,
	}, nil
}

// seriesLatency sets the percentiles of each point of series (buckets of
// size bucket from from) from the hourly histograms, oldest first, and
// returns those of the whole series. A bucket's hours are adjacent, so
// they are merged into one histogram, read when the next bucket starts.
func seriesLatency(series []usagePoint, hours []core.LatencyPoint, from time.Time, bucket time.Duration) latency {
	var all, cur core.LatencyHistogram
	at := -1
	flush := func() {
		if at >= 0 {
			series[at].latency = latencyOf(&cur)
			all.Merge(&cur)
			cur = core.LatencyHistogram{}
		}
	}
	for i := range hours {
		h := &hours[i]
		b := int(h.Start.Sub(from) / bucket)
		if h.Start.Before(from) || b >= len(series) {
			continue
		}
		if b != at {
			flush()
			at = b
		}
		cur.Merge(&h.LatencyHistogram)
	}
	flush()
	return latencyOf(&all)
}

// planStatus answers GET /api/plan.
type planStatus struct {
	Plan  core.Plan   `json:"plan"`
	Month monthStatus `json:"month"`
}

type monthStatus struct {
	Start       time.Time `json:"start"`
	ResetsAt    time.Time `json:"resets_at"`
	Invocations int64     `json:"invocations"`
	GBSeconds   float64   `json:"gb_seconds"`
	Running     int       `json:"running"`
}

// getPlan serves GET /api/plan: the caller's plan and what they used of it
// this month, as enforced (counting calls not yet written).
func (s *Server) getPlan(c *fiber.Ctx) error {
	if s.deps.Quotas == nil {
		return core.Errorf(core.CodeUnavailable, "plans are not enforced on this server")
	}
	st, err := s.deps.Quotas.Status(c.UserContext(), principalOf(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(planStatus{Plan: st.Plan, Month: monthStatus{
		Start: st.Month, ResetsAt: st.ResetsAt, Invocations: st.Invocations,
		GBSeconds: float64(st.MBMS) / core.MBMSPerGBSecond, Running: st.Running,
	}})
}
