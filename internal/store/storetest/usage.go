package storetest

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// meteredExecution is a finished execution of f that started at start,
// without input, output or logs (metering reads none of them).
func meteredExecution(t *testing.T, f *core.Function, status core.ExecStatus, start time.Time, memMB int, durMS, billedMS int64) core.Execution {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return core.Execution{
		ID: id.String(), FunctionID: f.ID, OwnerID: f.OwnerID, FunctionName: f.Name, Version: "$LATEST",
		Trigger: "api", Status: status, MemoryMB: memMB, DurationMS: durMS, BilledMS: billedMS,
		StartedAt: start, FinishedAt: start.Add(time.Duration(durMS) * time.Millisecond),
	}
}

// usageTally is the expected usage, computed independently of the store.
type usageTally struct {
	byOwner    map[string]core.UsageTotals
	byFunction map[string]core.UsageTotals
	byHour     map[string]map[time.Time]core.UsageTotals      // owner → hour
	latency    map[string]map[time.Time]core.LatencyHistogram // owner → hour
}

func newTally() *usageTally {
	return &usageTally{
		byOwner: map[string]core.UsageTotals{}, byFunction: map[string]core.UsageTotals{},
		byHour: map[string]map[time.Time]core.UsageTotals{}, latency: map[string]map[time.Time]core.LatencyHistogram{},
	}
}

func (u *usageTally) add(e *core.Execution) {
	one := core.UsageOf(e)
	add := func(m map[string]core.UsageTotals, k string) { v := m[k]; v.Add(one); m[k] = v }
	add(u.byOwner, e.OwnerID)
	add(u.byFunction, e.FunctionID)
	if u.byHour[e.OwnerID] == nil {
		u.byHour[e.OwnerID] = map[time.Time]core.UsageTotals{}
	}
	h := e.StartedAt.UTC().Truncate(time.Hour)
	v := u.byHour[e.OwnerID][h]
	v.Add(one)
	u.byHour[e.OwnerID][h] = v
	if u.latency[e.OwnerID] == nil {
		u.latency[e.OwnerID] = map[time.Time]core.LatencyHistogram{}
	}
	l := u.latency[e.OwnerID][h]
	l[wantBucket(e.DurationMS)]++
	u.latency[e.OwnerID][h] = l
}

// testUsageTotals meters 10,000 executions of 3 accounts, saved in
// batches, and checks every total is exact; saving them all again, in other
// batches, changes nothing. Under the race detector SQLite gets 1,000, so
// that the suite stays quick; PostgreSQL always gets 10,000.
func testUsageTotals(t *testing.T, s core.Store) {
	n := 10_000
	if d, ok := s.(interface{ Dialect() string }); ok && d.Dialect() == "sqlite" && raceEnabled {
		n = 1_000
	}
	base := time.Date(2031, 3, 30, 22, 0, 0, 0, time.UTC) // spans a month boundary
	rng := rand.New(rand.NewPCG(7, 11))                   //nolint:gosec // a fixed seed: the data must be reproducible
	var fns []*core.Function
	for _, email := range []string{"meter-a@example.com", "meter-b@example.com", "meter-c@example.com"} {
		u := newUser(t, s, email)
		for _, name := range []string{"api", "worker", "cron"} {
			fns = append(fns, newFunction(t, s, u.ID, name))
		}
	}
	memories := []int{64, 128, 256, 1024, 3008, 4096}
	statuses := []core.ExecStatus{core.ExecSucceeded, core.ExecSucceeded, core.ExecSucceeded, core.ExecFailed, core.ExecTimeout, core.ExecKilled}
	want := newTally()
	execs := make([]core.Execution, n)
	for i := range execs {
		f := fns[rng.IntN(len(fns))]
		dur := rng.Int64N(900_000)
		billed := (dur/100 + 1) * 100 // any rounding: the store meters what it is given
		start := base.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		execs[i] = meteredExecution(t, f, statuses[rng.IntN(len(statuses))], start, memories[rng.IntN(len(memories))], dur, billed)
		want.add(&execs[i])
	}
	for batch := range slices.Chunk(execs, 100) {
		saveExecutions(t, s, batch...)
	}
	q := core.UsageQuery{From: base.Add(-time.Hour), To: base.Add(73 * time.Hour)}
	wantUsage(t, s, q, want, fns)

	// Replays: the same records again, in other batches and order, and
	// some of them twice in one batch.
	shuffled := slices.Clone(execs)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for batch := range slices.Chunk(shuffled, 150) {
		saveExecutions(t, s, append(batch, batch[:10]...)...)
	}
	wantUsage(t, s, q, want, fns)
}

// wantUsage checks the store's totals per account, per function and per
// hour, and its latency histograms per hour, against want.
func wantUsage(t *testing.T, s core.Store, q core.UsageQuery, want *usageTally, fns []*core.Function) {
	t.Helper()
	ctx := t.Context()
	accounts, err := s.UsageBreakdown(ctx, q, core.ByAccount)
	if err != nil {
		t.Fatalf("UsageBreakdown(account): %v", err)
	}
	if len(accounts) != len(want.byOwner) {
		t.Fatalf("%d accounts with usage, want %d", len(accounts), len(want.byOwner))
	}
	for _, g := range accounts {
		if g.UsageTotals != want.byOwner[g.OwnerID] {
			t.Errorf("account %s: %+v, want %+v", g.Email, g.UsageTotals, want.byOwner[g.OwnerID])
		}
		if g.GBSeconds() != float64(want.byOwner[g.OwnerID].MBMS)/1024000 || g.Email == "" {
			t.Errorf("account %s: %v GB-s", g.Email, g.GBSeconds())
		}
	}
	for owner, total := range want.byOwner {
		fq := q
		fq.OwnerID = owner
		groups, err := s.UsageBreakdown(ctx, fq, core.ByFunction)
		if err != nil {
			t.Fatalf("UsageBreakdown(function): %v", err)
		}
		var sum core.UsageTotals
		for _, g := range groups {
			if g.OwnerID != owner || g.UsageTotals != want.byFunction[g.FunctionID] || g.FunctionName == "" {
				t.Errorf("function %s (%s): %+v, want %+v", g.FunctionName, g.FunctionID, g.UsageTotals, want.byFunction[g.FunctionID])
			}
			sum.Add(g.UsageTotals)
		}
		if sum != total {
			t.Errorf("owner %s: functions sum to %+v, want %+v", owner, sum, total)
		}
		points, err := s.UsageSeries(ctx, fq)
		if err != nil {
			t.Fatalf("UsageSeries: %v", err)
		}
		wantLatency(t, s, fq, want.latency[owner])
		hours := want.byHour[owner]
		if len(points) != len(hours) {
			t.Fatalf("%d hours with usage, want %d", len(points), len(hours))
		}
		for i, p := range points {
			if i > 0 && !p.Start.After(points[i-1].Start) {
				t.Fatalf("series not in time order at %d", i)
			}
			if p.Start.Location() != time.UTC || p.UsageTotals != hours[p.Start] {
				t.Errorf("hour %v: %+v, want %+v", p.Start, p.UsageTotals, hours[p.Start])
			}
		}
	}
	f := fns[0]
	one, err := s.UsageSeries(ctx, core.UsageQuery{OwnerID: f.OwnerID, FunctionID: f.ID, From: q.From, To: q.To})
	if err != nil {
		t.Fatalf("UsageSeries(function): %v", err)
	}
	var sum core.UsageTotals
	for _, p := range one {
		sum.Add(p.UsageTotals)
	}
	if sum != want.byFunction[f.ID] {
		t.Errorf("one function's series sums to %+v, want %+v", sum, want.byFunction[f.ID])
	}
}

// testUsageMetering checks what is metered and when: finished executions
// once, at their first finished save; running and queued ones not; records
// of deleted functions too; hours by start time in UTC; [From, To).
func testUsageMetering(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "metering@example.com")
	other := newUser(t, s, "metering-other@example.com")
	f := newFunction(t, s, u.ID, "metered")
	gone := newFunction(t, s, u.ID, "gone")
	h := time.Date(2032, 5, 1, 10, 0, 0, 0, time.UTC)
	zone := time.FixedZone("UTC+5", 5*3600)

	running := meteredExecution(t, f, core.ExecRunning, h.Add(time.Minute), 128, 0, 0)
	queued := meteredExecution(t, f, core.ExecQueued, time.Time{}, 128, 0, 0)
	queued.FinishedAt = time.Time{}
	saveExecutions(t, s, running, queued)
	q := core.UsageQuery{OwnerID: u.ID, From: h.Add(-24 * time.Hour), To: h.Add(24 * time.Hour)}
	wantTotals(t, s, q, core.UsageTotals{})

	done := running
	done.Status, done.DurationMS, done.BilledMS, done.FinishedAt = core.ExecFailed, 40, 50, running.StartedAt.Add(40*time.Millisecond)
	saveExecutions(t, s, done)
	want := core.UsageTotals{Invocations: 1, Errors: 1, DurationMS: 40, BilledMS: 50, MBMS: 128 * 50}
	wantTotals(t, s, q, want)
	// A later save of a finished record does not meter it again, even if
	// it says something else.
	changed := done
	changed.Status, changed.BilledMS = core.ExecSucceeded, 5000
	saveExecutions(t, s, changed)
	wantTotals(t, s, q, want)

	// A function deleted while its call ran: the record is dropped, the
	// usage is not; and deleting a function keeps its past usage.
	ofGone := meteredExecution(t, gone, core.ExecSucceeded, h.In(zone).Add(59*time.Minute), 256, 10, 10)
	if err := s.DeleteFunction(ctx, u.ID, gone.ID); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	saveExecutions(t, s, ofGone)
	want.Add(core.UsageTotals{Invocations: 1, DurationMS: 10, BilledMS: 10, MBMS: 2560})
	wantTotals(t, s, q, want)
	saveExecutions(t, s, ofGone) // no row tells it was counted; its mark does
	wantTotals(t, s, q, want)
	points, err := s.UsageSeries(ctx, q)
	if err != nil || len(points) != 1 || !points[0].Start.Equal(h) || points[0].UsageTotals != want {
		t.Fatalf("series = %+v, %v; want one point at %v", points, err, h)
	}

	// An asynchronous call counts once, when done (not at its failed
	// attempts), with its final record; a platform failure never counts.
	async := meteredExecution(t, f, core.ExecFailed, h.Add(2*time.Minute), 128, 30, 30)
	async.Trigger, async.Attempts = core.TriggerAsync, 1
	saveExecutions(t, s, async)
	wantTotals(t, s, q, want)
	async.Attempts, async.Status, async.DurationMS, async.BilledMS = 2, core.ExecDeadLettered, 20, 20
	saveExecutions(t, s, async)
	want.Add(core.UsageTotals{Invocations: 1, Errors: 1, DurationMS: 20, BilledMS: 20, MBMS: 128 * 20})
	wantTotals(t, s, q, want)
	async.Attempts, async.Status = 3, core.ExecSucceeded // cannot happen; still counted once
	saveExecutions(t, s, async)
	platform := meteredExecution(t, f, core.ExecFailed, h.Add(3*time.Minute), 128, 0, 1)
	platform.Reason = core.ReasonPlatformError
	saveExecutions(t, s, platform)
	wantTotals(t, s, q, want)

	// [From, To) by hour; other owners and malformed ids see nothing.
	for _, tc := range []struct {
		name string
		q    core.UsageQuery
	}{
		{"after", core.UsageQuery{OwnerID: u.ID, From: h.Add(time.Hour), To: h.Add(2 * time.Hour)}},
		{"before", core.UsageQuery{OwnerID: u.ID, From: h.Add(-time.Hour), To: h}},
		{"empty range", core.UsageQuery{OwnerID: u.ID, From: h, To: h}},
		{"other owner", core.UsageQuery{OwnerID: other.ID, From: q.From, To: q.To}},
		{"malformed owner", core.UsageQuery{OwnerID: "nobody", From: q.From, To: q.To}},
		{"malformed function", core.UsageQuery{OwnerID: u.ID, FunctionID: "metered", From: q.From, To: q.To}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantTotals(t, s, tc.q, core.UsageTotals{}) })
	}
	wantTotals(t, s, core.UsageQuery{OwnerID: u.ID, From: h, To: h.Add(time.Hour)}, want)
	wantTotals(t, s, core.UsageQuery{OwnerID: u.ID, FunctionID: gone.ID, From: q.From, To: q.To},
		core.UsageTotals{Invocations: 1, DurationMS: 10, BilledMS: 10, MBMS: 2560})
	groups, err := s.UsageBreakdown(ctx, q, core.ByFunction)
	if err != nil || len(groups) != 2 {
		t.Fatalf("UsageBreakdown = %+v, %v; want 2 functions", groups, err)
	}
	names := map[string]string{}
	for _, g := range groups {
		names[g.FunctionID] = g.FunctionName
	}
	if !maps.Equal(names, map[string]string{f.ID: "metered", gone.ID: "gone"}) {
		t.Errorf("function names %v", names)
	}
	if _, err := s.UsageBreakdown(ctx, q, "version"); core.ErrorCode(err) != core.CodeInvalid {
		t.Errorf("UsageBreakdown by version: %v, want invalid", err)
	}
}

// wantTotals fails t unless q's usage adds up to want, both ways.
func wantTotals(t *testing.T, s core.Store, q core.UsageQuery, want core.UsageTotals) {
	t.Helper()
	points, err := s.UsageSeries(t.Context(), q)
	if err != nil {
		t.Fatalf("UsageSeries: %v", err)
	}
	var sum core.UsageTotals
	for _, p := range points {
		sum.Add(p.UsageTotals)
	}
	if sum != want {
		t.Fatalf("series sums to %+v, want %+v", sum, want)
	}
	groups, err := s.UsageBreakdown(t.Context(), q, core.ByAccount)
	if err != nil {
		t.Fatalf("UsageBreakdown: %v", err)
	}
	sum = core.UsageTotals{}
	for _, g := range groups {
		sum.Add(g.UsageTotals)
	}
	if sum != want {
		t.Fatalf("accounts sum to %+v, want %+v", sum, want)
	}
}
