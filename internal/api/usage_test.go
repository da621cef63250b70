package api

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// wantPercentile fails t unless field of obj is a number in the latency
// bucket of the true value want (the histograms' precision; rounded to
// 0.1 ms), or null when want is 0.
func wantPercentile(t *testing.T, what string, obj any, field string, want float64) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", what, obj)
	}
	v, present := m[field]
	if !present {
		t.Fatalf("%s has no %s: %v", what, field, m)
	}
	if want == 0 {
		if v != nil {
			t.Errorf("%s %s = %v, want null", what, field, v)
		}
		return
	}
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s %s = %v (%T), want a number", what, field, v, v)
	}
	got, err := n.Float64()
	lo, hi := core.LatencyBucketRange(core.LatencyBucket(int64(math.Ceil(want))))
	if err != nil || got < lo-0.05 || got > hi+0.05 {
		t.Errorf("%s %s = %v, want %v: in (%.1f, %.1f]", what, field, n, want, lo, hi)
	}
}

// wantCount fails t unless field of obj is the integer want.
func wantCount(t *testing.T, what string, obj any, field string, want int64) {
	t.Helper()
	n, _ := obj.(map[string]any)[field].(json.Number)
	if got, err := n.Int64(); err != nil || got != want {
		t.Errorf("%s %s = %v, want %d", what, field, n, want)
	}
}

// TestUsagePercentiles: GET /api/usage reports p50_ms and p95_ms of the
// metered executions per bucket and for the period, merging hours into
// days, null where nothing ran.
func TestUsagePercentiles(t *testing.T) {
	s := newTestServer(t)
	f := s.addFunction("timed")
	g := s.addFunction("slow")
	day := time.Date(2030, 5, 10, 0, 0, 0, 0, time.UTC)

	// f: 1..50 ms at 13:00, 51..100 ms at 14:00, every tenth failed; g:
	// twenty 1 s calls the next day at 15:00. Unmetered executions (one
	// running, one the platform failed) change nothing.
	for ms := int64(1); ms <= 100; ms++ {
		start := day.Add(13*time.Hour + time.Duration(ms-1)*72*time.Second) // 1..50 ms at 13:00, then 14:00
		status := core.ExecSucceeded
		if ms%10 == 0 {
			status = core.ExecFailed
		}
		s.store.save(execution(t, f, status, start, ms))
	}
	for i := range 20 {
		s.store.save(execution(t, g, core.ExecSucceeded, day.Add(39*time.Hour+time.Duration(i)*time.Minute), 1000))
	}
	running := execution(t, f, core.ExecRunning, day.Add(13*time.Hour), 100000)
	platform := execution(t, f, core.ExecFailed, day.Add(13*time.Hour), 100000)
	platform.Reason = core.ReasonPlatformError
	s.store.save(running, platform)

	period := url.Values{"from": {"2030-05-10"}, "to": {"2030-05-12"}}
	query := func(extra ...string) string {
		v := url.Values{}
		for k, vs := range period {
			v[k] = vs
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return "/api/usage?" + v.Encode()
	}

	hourly := s.get(t, query("granularity", "hour"), 200)
	series := hourly["series"].([]any)
	if len(series) != 48 {
		t.Fatalf("%d hourly buckets, want 48", len(series))
	}
	for i, p := range series {
		var p50, p95 float64
		var n int64
		switch i {
		case 13: // 1..50 ms
			p50, p95, n = 25, 48, 50
		case 14: // 51..100 ms
			p50, p95, n = 75, 98, 50
		case 24 + 15:
			p50, p95, n = 1000, 1000, 20
		}
		what := fmt.Sprintf("hour %d", i)
		wantCount(t, what, p, "invocations", n)
		wantPercentile(t, what, p, "p50_ms", p50)
		wantPercentile(t, what, p, "p95_ms", p95)
	}
	// 120 calls: the 60th takes 60 ms, the 114th 1 s.
	wantCount(t, "totals", hourly["totals"], "invocations", 120)
	wantCount(t, "totals", hourly["totals"], "errors", 10)
	wantPercentile(t, "totals", hourly["totals"], "p50_ms", 60)
	wantPercentile(t, "totals", hourly["totals"], "p95_ms", 1000)

	// By day, f's two hours merge: 1..100 ms.
	daily := s.get(t, query("granularity", "day"), 200)
	days := daily["series"].([]any)
	if len(days) != 2 {
		t.Fatalf("%d daily buckets, want 2", len(days))
	}
	wantCount(t, "day 1", days[0], "invocations", 100)
	wantPercentile(t, "day 1", days[0], "p50_ms", 50)
	wantPercentile(t, "day 1", days[0], "p95_ms", 95)
	wantCount(t, "day 2", days[1], "invocations", 20)
	wantPercentile(t, "day 2", days[1], "p50_ms", 1000)
	wantPercentile(t, "day 2", days[1], "p95_ms", 1000)
	wantPercentile(t, "totals", daily["totals"], "p50_ms", 60)

	// One function, by id or by name.
	for _, ref := range []string{f.ID, f.Name} {
		one := s.get(t, query("granularity", "day", "function_id", ref), 200)
		wantCount(t, "f", one["totals"], "invocations", 100)
		wantPercentile(t, "f", one["totals"], "p50_ms", 50)
		wantPercentile(t, "f", one["totals"], "p95_ms", 95)
		wantPercentile(t, "f day 2", one["series"].([]any)[1], "p50_ms", 0)
	}

	// A period without calls: null, not 0.
	empty := s.get(t, "/api/usage?from=2031-01-01&to=2031-01-02&granularity=hour", 200)
	wantCount(t, "empty", empty["totals"], "invocations", 0)
	wantPercentile(t, "empty", empty["totals"], "p50_ms", 0)
	wantPercentile(t, "empty", empty["totals"], "p95_ms", 0)
	for _, p := range empty["series"].([]any) {
		wantPercentile(t, "empty hour", p, "p95_ms", 0)
	}
}

// TestLatencyOf: percentiles are rounded to 0.1 ms and null without
// durations.
func TestLatencyOf(t *testing.T) {
	var h core.LatencyHistogram
	if l := latencyOf(&h); l.P50MS != nil || l.P95MS != nil {
		t.Fatalf("empty: %+v", l)
	}
	for ms := int64(1); ms <= 100; ms++ {
		h.Add(ms)
	}
	l := latencyOf(&h)
	// 50 is the 4th of the 9 calls in (1.2^21, 1.2^22] ms; 95 the last of
	// the 16 in (1.2^24, 1.2^25] ms.
	p50 := math.Round((math.Pow(1.2, 21)+(math.Pow(1.2, 22)-math.Pow(1.2, 21))*4/9)*10) / 10
	p95 := math.Round(math.Pow(1.2, 25)*10) / 10
	if l.P50MS == nil || *l.P50MS != p50 || l.P95MS == nil || *l.P95MS != p95 {
		t.Fatalf("1..100 ms: p50 %v, p95 %v; want %v, %v", deref(l.P50MS), deref(l.P95MS), p50, p95)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
