package storetest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// wantBucket is the documented bucket scheme (core.LatencyBucket),
// computed here independently of it: ⌈log₁.₂ ms⌉, 0 up to 1 ms, capped at
// the last bucket.
func wantBucket(ms int64) int {
	if ms <= 1 {
		return 0
	}
	return min(int(math.Ceil(math.Log(float64(ms))/math.Log(1.2))), core.LatencyBuckets-1)
}

// histogramOf is the expected histogram of durations.
func histogramOf(durations ...int64) core.LatencyHistogram {
	var h core.LatencyHistogram
	for _, ms := range durations {
		h[wantBucket(ms)]++
	}
	return h
}

// wantLatency fails t unless q's latency series is want: hour → histogram.
func wantLatency(t *testing.T, s core.Store, q core.UsageQuery, want map[time.Time]core.LatencyHistogram) {
	t.Helper()
	points, err := s.UsageLatency(t.Context(), q)
	if err != nil {
		t.Fatalf("UsageLatency: %v", err)
	}
	if points == nil {
		t.Fatalf("UsageLatency returned nil, want an empty or full slice")
	}
	if len(points) != len(want) {
		t.Fatalf("%d hours with latency, want %d: %+v", len(points), len(want), points)
	}
	for i, p := range points {
		if i > 0 && !p.Start.After(points[i-1].Start) {
			t.Fatalf("latency series not in time order at %d", i)
		}
		if p.Start.Location() != time.UTC {
			t.Errorf("hour %v is not UTC", p.Start)
		}
		if w, ok := want[p.Start]; !ok || p.LatencyHistogram != w {
			t.Errorf("hour %v: histogram %v, want %v", p.Start, p.LatencyHistogram, w)
		}
	}
}

// testUsageLatency checks the duration histograms: counted with the usage,
// once per execution, in the documented buckets; percentiles read from
// them are within the buckets' precision; scoped like UsageSeries.
func testUsageLatency(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "latency@example.com")
	other := newUser(t, s, "latency-other@example.com")
	f := newFunction(t, s, u.ID, "timed")
	g := newFunction(t, s, u.ID, "slow")
	theirs := newFunction(t, s, other.ID, "theirs")
	h := time.Date(2033, 7, 1, 9, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 5)) //nolint:gosec // a fixed seed: the data must be reproducible

	// 100 executions of f taking 1..100 ms, a tenth of them failed (they
	// count too), saved shuffled in batches of 7.
	var execs []core.Execution
	var durations []int64
	for ms := int64(1); ms <= 100; ms++ {
		status := core.ExecSucceeded
		if ms%10 == 0 {
			status = core.ExecFailed
		}
		execs = append(execs, meteredExecution(t, f, status, h.Add(time.Duration(ms)*20*time.Second), 128, ms, ms))
		durations = append(durations, ms)
	}
	rng.Shuffle(len(execs), func(i, j int) { execs[i], execs[j] = execs[j], execs[i] })
	for batch := range slices.Chunk(execs, 7) {
		saveExecutions(t, s, batch...)
	}
	fq := core.UsageQuery{OwnerID: u.ID, FunctionID: f.ID, From: h.Add(-time.Hour), To: h.Add(3 * time.Hour)}
	ofF := histogramOf(durations...)
	wantLatency(t, s, fq, map[time.Time]core.LatencyHistogram{h: ofF})
	points, err := s.UsageLatency(ctx, fq)
	if err != nil || len(points) != 1 {
		t.Fatalf("UsageLatency = %v, %v", points, err)
	}
	for _, tc := range []struct {
		q, want float64
	}{{0.5, 50}, {0.95, 95}} {
		got, ok := points[0].Quantile(tc.q)
		if !ok || math.Abs(got-tc.want) > 0.1*tc.want {
			t.Errorf("p%v = %v, %v; want %v within 10%%", tc.q*100, got, ok, tc.want)
		}
	}

	// Saved again, in other batches, some twice in a batch, and with other
	// durations: counted once, as first saved.
	rng.Shuffle(len(execs), func(i, j int) { execs[i], execs[j] = execs[j], execs[i] })
	for batch := range slices.Chunk(execs, 30) {
		again := slices.Clone(batch)
		for i := range again {
			again[i].DurationMS *= 1000
		}
		saveExecutions(t, s, append(again, again[:3]...)...)
	}
	wantLatency(t, s, fq, map[time.Time]core.LatencyHistogram{h: ofF})

	// Only metered executions count: not running or queued ones, not an
	// asynchronous call's failed attempt, not a platform failure; the
	// running one counts once it ends.
	running := meteredExecution(t, f, core.ExecRunning, h.Add(50*time.Minute), 128, 0, 0)
	queued := meteredExecution(t, f, core.ExecQueued, time.Time{}, 128, 0, 0)
	queued.Trigger, queued.FinishedAt = core.TriggerAsync, time.Time{}
	attempt := meteredExecution(t, f, core.ExecFailed, h.Add(51*time.Minute), 128, 7000, 7000)
	attempt.Trigger, attempt.Attempts = core.TriggerAsync, 1
	platform := meteredExecution(t, f, core.ExecFailed, h.Add(52*time.Minute), 128, 9000, 9000)
	platform.Reason = core.ReasonPlatformError
	saveExecutions(t, s, running, queued, attempt, platform)
	wantLatency(t, s, fq, map[time.Time]core.LatencyHistogram{h: ofF})
	done := running
	done.Status, done.DurationMS, done.BilledMS = core.ExecTimeout, 3000, 3000
	saveExecutions(t, s, done)
	ofF[wantBucket(3000)]++
	wantLatency(t, s, fq, map[time.Time]core.LatencyHistogram{h: ofF})

	// g: 10 calls of 1 s in hour h, 10 of 2 s in the next; another owner's
	// function in hour h.
	var slow []core.Execution
	for i := range 10 {
		slow = append(slow,
			meteredExecution(t, g, core.ExecSucceeded, h.Add(time.Duration(i)*time.Minute), 256, 1000, 1000),
			meteredExecution(t, g, core.ExecSucceeded, h.Add(time.Hour+time.Duration(i)*time.Minute), 256, 2000, 2000))
	}
	saveExecutions(t, s, slow...)
	saveExecutions(t, s, meteredExecution(t, theirs, core.ExecSucceeded, h.Add(time.Minute), 128, 5, 5))
	ofG := map[time.Time]core.LatencyHistogram{
		h:                histogramOf(1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000),
		h.Add(time.Hour): histogramOf(2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000),
	}
	both, gh := ofF, ofG[h]
	both.Merge(&gh)
	ofTheirs := histogramOf(5)
	all := both
	all.Merge(&ofTheirs)
	q := core.UsageQuery{OwnerID: u.ID, From: fq.From, To: fq.To}
	for _, tc := range []struct {
		name string
		q    core.UsageQuery
		want map[time.Time]core.LatencyHistogram
	}{
		{"function", fq, map[time.Time]core.LatencyHistogram{h: ofF}},
		{"other function", core.UsageQuery{OwnerID: u.ID, FunctionID: g.ID, From: q.From, To: q.To}, ofG},
		{"owner", q, map[time.Time]core.LatencyHistogram{h: both, h.Add(time.Hour): ofG[h.Add(time.Hour)]}},
		{"other owner", core.UsageQuery{OwnerID: other.ID, From: q.From, To: q.To}, map[time.Time]core.LatencyHistogram{h: ofTheirs}},
		{"every owner", core.UsageQuery{From: q.From, To: q.To}, map[time.Time]core.LatencyHistogram{h: all, h.Add(time.Hour): ofG[h.Add(time.Hour)]}},
		{"another's function", core.UsageQuery{OwnerID: u.ID, FunctionID: theirs.ID, From: q.From, To: q.To}, nil},
		{"from", core.UsageQuery{OwnerID: u.ID, From: h.Add(time.Hour), To: q.To}, map[time.Time]core.LatencyHistogram{h.Add(time.Hour): ofG[h.Add(time.Hour)]}},
		{"to", core.UsageQuery{OwnerID: u.ID, From: q.From, To: h.Add(time.Hour)}, map[time.Time]core.LatencyHistogram{h: both}},
		{"empty range", core.UsageQuery{OwnerID: u.ID, From: h, To: h}, nil},
		{"malformed owner", core.UsageQuery{OwnerID: "nobody", From: q.From, To: q.To}, nil},
		{"malformed function", core.UsageQuery{OwnerID: u.ID, FunctionID: "timed", From: q.From, To: q.To}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) { wantLatency(t, s, tc.q, tc.want) })
	}

	// Histograms agree with the invocations they count, and outlive a
	// deleted function like its usage does.
	if err := s.DeleteFunction(ctx, u.ID, g.ID); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	wantLatency(t, s, core.UsageQuery{OwnerID: u.ID, FunctionID: g.ID, From: q.From, To: q.To}, ofG)
	wantCountsMatch(t, s, q)
}

// testLatencyBatch saves one batch whose histogram rows are more than one
// statement takes on either database, and the same again in other
// batches: every row is written, and counted once.
func testLatencyBatch(t *testing.T, s core.Store) {
	u := newUser(t, s, "latency-batch@example.com")
	fns := []*core.Function{newFunction(t, s, u.ID, "a"), newFunction(t, s, u.ID, "b")}
	h := time.Date(2034, 1, 1, 0, 0, 0, 0, time.UTC)
	want := map[time.Time]core.LatencyHistogram{}
	var execs []core.Execution
	// 2 functions × 15 hours × 40 buckets = 1200 distinct rows.
	for hour := range 15 {
		start := h.Add(time.Duration(hour) * time.Hour)
		hist := want[start]
		for b := 1; b <= 40; b++ {
			ms := int64(math.Pow(1.2, float64(b)+10)) // in bucket b+10
			for _, f := range fns {
				execs = append(execs, meteredExecution(t, f, core.ExecSucceeded, start.Add(time.Duration(b)*time.Second), 128, ms, ms))
				hist[wantBucket(ms)]++
			}
		}
		want[start] = hist
	}
	saveExecutions(t, s, execs...)
	q := core.UsageQuery{OwnerID: u.ID, From: h, To: h.Add(24 * time.Hour)}
	wantLatency(t, s, q, want)
	for batch := range slices.Chunk(execs, 333) {
		saveExecutions(t, s, batch...)
	}
	wantLatency(t, s, q, want)
	wantCountsMatch(t, s, q)
}

// wantCountsMatch fails t unless q's histograms count, hour by hour, as
// many executions as its usage series does invocations.
func wantCountsMatch(t *testing.T, s core.Store, q core.UsageQuery) {
	t.Helper()
	series, err := s.UsageSeries(t.Context(), q)
	if err != nil {
		t.Fatalf("UsageSeries: %v", err)
	}
	latency, err := s.UsageLatency(t.Context(), q)
	if err != nil {
		t.Fatalf("UsageLatency: %v", err)
	}
	counts := map[time.Time]int64{}
	for _, p := range latency {
		counts[p.Start] = p.Count()
	}
	if len(counts) != len(series) {
		t.Fatalf("%d hours with latency, %d with usage", len(counts), len(series))
	}
	for _, p := range series {
		if counts[p.Start] != p.Invocations {
			t.Errorf("hour %v: histogram counts %d, usage %d invocations", p.Start, counts[p.Start], p.Invocations)
		}
	}
}
