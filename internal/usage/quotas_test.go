package usage_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/usage"
)

var midMonth = time.Date(2031, 6, 15, 12, 0, 0, 0, time.UTC)

// TestMonthlyInvocationsExact: many goroutines race for a quota of 100;
// exactly 100 calls are admitted, the rest refused with the time to the
// month's end.
func TestMonthlyInvocationsExact(t *testing.T) {
	f := newFixture(t, core.Plan{MonthlyInvocations: 100}, midMonth)
	var admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 10 {
				release, err := f.q.Admit(t.Context(), f.fn, false)
				if err != nil {
					e := wantCode(t, err, core.CodeQuotaExceeded)
					if want := usage.NextMonth(midMonth).Sub(midMonth); e.RetryAfter != want {
						t.Errorf("RetryAfter %v, want %v", e.RetryAfter, want)
					}
					refused.Add(1)
					continue
				}
				admitted.Add(1)
				release(done(f.fn, 10, midMonth))
			}
		})
	}
	wg.Wait()
	if admitted.Load() != 100 || refused.Load() != 220 {
		t.Fatalf("admitted %d, refused %d; want 100 and 220", admitted.Load(), refused.Load())
	}
	st, err := f.q.Status(t.Context(), f.user.ID)
	if err != nil || st.Invocations != 100 || st.MBMS != 100*256*10 || st.Running != 0 {
		t.Fatalf("status %+v, %v", st, err)
	}
	// The gate before any work refuses too, and a retry of an admitted
	// execution is not counted again.
	wantCode(t, f.q.Throttle(t.Context(), f.user.ID, ""), core.CodeQuotaExceeded)
	release, err := f.q.Admit(t.Context(), f.fn, true)
	if err != nil {
		t.Fatalf("retry refused: %v", err)
	}
	release(done(f.fn, 10, midMonth))
}

// TestRefund: a call that ends without a billable record gives its
// invocation back; release runs once however often it is called.
func TestRefund(t *testing.T) {
	f := newFixture(t, core.Plan{MonthlyInvocations: 2}, midMonth)
	for range 5 {
		release, err := f.q.Admit(t.Context(), f.fn, false)
		if err != nil {
			t.Fatal(err)
		}
		release(nil)
		release(nil)
	}
	platform := done(f.fn, 5, midMonth)
	platform.Status, platform.Reason = core.ExecFailed, core.ReasonPlatformError
	release, _ := f.q.Admit(t.Context(), f.fn, false)
	release(platform)
	for range 2 {
		release, err := f.q.Admit(t.Context(), f.fn, false)
		if err != nil {
			t.Fatalf("refunded quota not available: %v", err)
		}
		defer release(done(f.fn, 1, midMonth))
	}
	_, err := f.q.Admit(t.Context(), f.fn, false)
	wantCode(t, err, core.CodeQuotaExceeded)
}

// TestConcurrentExecutions: the account never runs more than its limit at
// once, and a refusal says to retry in a second.
func TestConcurrentExecutions(t *testing.T) {
	const limit = 3
	f := newFixture(t, core.Plan{MaxConcurrent: limit}, midMonth)
	other := f.newFunction(t, f.user.ID, "other")
	var running, peak, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			fn := f.fn
			if i%2 == 1 {
				fn = other // the limit is the account's, across functions
			}
			for range 20 {
				release, err := f.q.Admit(t.Context(), fn, false)
				if err != nil {
					if e := wantCode(t, err, core.CodeQuotaExceeded); e.RetryAfter != time.Second {
						t.Errorf("RetryAfter %v", e.RetryAfter)
					}
					refused.Add(1)
					continue
				}
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(100 * time.Microsecond)
				running.Add(-1)
				release(done(fn, 1, midMonth))
			}
		})
	}
	wg.Wait()
	if peak.Load() > limit || peak.Load() == 0 || refused.Load() == 0 {
		t.Fatalf("peak %d running (limit %d), %d refused", peak.Load(), limit, refused.Load())
	}
}

// TestSeededFromAggregates: a fresh Quotas starts from the month's metered
// usage, not from zero, and last month's usage does not count.
func TestSeededFromAggregates(t *testing.T) {
	f := newFixture(t, core.Plan{MonthlyInvocations: 10, MonthlyGBSeconds: 1000}, midMonth)
	var execs []core.Execution
	for i := range 7 {
		execs = append(execs, *done(f.fn, 100, midMonth.Add(-time.Duration(i)*time.Hour)))
	}
	lastMonth := done(f.fn, 100, usage.MonthStart(midMonth).Add(-time.Hour))
	execs = append(execs, *lastMonth, *lastMonth)
	if err := f.store.SaveExecutions(t.Context(), execs); err != nil {
		t.Fatal(err)
	}
	st, err := f.q.Status(t.Context(), f.user.ID)
	if err != nil || st.Invocations != 7 || st.MBMS != 7*256*100 {
		t.Fatalf("seeded status %+v, %v; want 7 invocations", st, err)
	}
	for range 3 {
		release, err := f.q.Admit(t.Context(), f.fn, false)
		if err != nil {
			t.Fatal(err)
		}
		release(done(f.fn, 1, midMonth))
	}
	_, err = f.q.Admit(t.Context(), f.fn, false)
	wantCode(t, err, core.CodeQuotaExceeded)
}

// TestMonthlyGBSeconds: the call that crosses the limit runs; the next is
// refused.
func TestMonthlyGBSeconds(t *testing.T) {
	f := newFixture(t, core.Plan{MonthlyGBSeconds: 1}, midMonth) // 1 GB-s = 1024 MB × 1000 ms
	for _, billed := range []int64{3000, 1000} {                 // 256 MB × 4000 ms = 1 GB-s
		release, err := f.q.Admit(t.Context(), f.fn, false)
		if err != nil {
			t.Fatalf("under the limit: %v", err)
		}
		release(done(f.fn, billed, midMonth))
	}
	_, err := f.q.Admit(t.Context(), f.fn, false)
	if e := wantCode(t, err, core.CodeQuotaExceeded); e.RetryAfter <= 0 {
		t.Fatalf("no RetryAfter: %+v", e)
	}
}

// TestMonthRollover: a used-up quota comes back when the month turns, and
// a call admitted last month is not refunded into the new one.
func TestMonthRollover(t *testing.T) {
	end := time.Date(2031, 1, 31, 23, 59, 59, 0, time.UTC)
	f := newFixture(t, core.Plan{MonthlyInvocations: 1}, end)
	straddling, err := f.q.Admit(t.Context(), f.fn, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.q.Admit(t.Context(), f.fn, false)
	if e := wantCode(t, err, core.CodeQuotaExceeded); e.RetryAfter != time.Second {
		t.Fatalf("RetryAfter %v, want 1s to February", e.RetryAfter)
	}
	f.clock.Set(end.Add(2 * time.Second))
	release, err := f.q.Admit(t.Context(), f.fn, false)
	if err != nil {
		t.Fatalf("February refused: %v", err)
	}
	straddling(nil) // January's refund must not free February's quota
	release(done(f.fn, 1, f.clock.Now()))
	_, err = f.q.Admit(t.Context(), f.fn, false)
	wantCode(t, err, core.CodeQuotaExceeded)
}

// TestThrottle: token buckets per account and per API key.
func TestThrottle(t *testing.T) {
	f := newFixture(t, core.Plan{RequestsPerSecond: 2, Burst: 3, KeyRequestsPerSecond: 1, KeyBurst: 1}, midMonth)
	ctx := t.Context()
	if err := f.q.Throttle(ctx, f.user.ID, "key-1"); err != nil {
		t.Fatal(err)
	}
	e := wantCode(t, f.q.Throttle(ctx, f.user.ID, "key-1"), core.CodeRateLimited)
	if e.RetryAfter != time.Second {
		t.Fatalf("key RetryAfter %v", e.RetryAfter)
	}
	// The refused key request took no account token: two are left.
	for range 2 {
		if err := f.q.Throttle(ctx, f.user.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, f.q.Throttle(ctx, f.user.ID, "key-2"), core.CodeRateLimited)
	f.clock.Set(midMonth.Add(500 * time.Millisecond)) // one account token back
	if err := f.q.Throttle(ctx, f.user.ID, "key-2"); err != nil {
		t.Fatalf("after refill: %v", err)
	}
	other := f.newUser(t, "other@example.com")
	if err := f.q.Throttle(ctx, other.ID, ""); err != nil {
		t.Fatalf("another account is limited separately: %v", err)
	}
}

// TestGuardFunction: memory and function-count limits, exact under
// concurrent creation.
func TestGuardFunction(t *testing.T) {
	f := newFixture(t, core.Plan{MaxFunctions: 4, MaxMemoryMB: 512}, midMonth) // the fixture has 1
	ctx := t.Context()
	e := wantCode(t, f.q.GuardFunction(ctx, f.user.ID, 1024, false, func() error { return nil }), core.CodeQuotaExceeded)
	if e.Fields["memory_mb"] == "" {
		t.Fatalf("no memory_mb field: %+v", e)
	}
	var created, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			err := f.q.GuardFunction(ctx, f.user.ID, 512, true, func() error {
				f.newFunction(t, f.user.ID, "fn-"+string(rune('a'+i)))
				created.Add(1)
				return nil
			})
			if err != nil {
				wantCode(t, err, core.CodeQuotaExceeded)
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 3 || refused.Load() != 7 {
		t.Fatalf("created %d, refused %d; want 3 and 7", created.Load(), refused.Load())
	}
	if err := f.q.GuardFunction(ctx, f.user.ID, 256, false, func() error { return nil }); err != nil {
		t.Fatalf("changing a function at the limit: %v", err)
	}
}

// TestSetPlan: plans apply at once; unknown ones are refused.
func TestSetPlan(t *testing.T) {
	f := newFixture(t, core.Plan{MonthlyInvocations: 1}, midMonth)
	ctx := t.Context()
	release, _ := f.q.Admit(ctx, f.fn, false)
	release(done(f.fn, 1, midMonth))
	_, err := f.q.Admit(ctx, f.fn, false)
	wantCode(t, err, core.CodeQuotaExceeded)
	e := wantCode(t, f.q.SetPlan(ctx, f.user.ID, "gold"), core.CodeValidation)
	if e.Fields["plan"] == "" {
		t.Fatalf("no plan field: %+v", e)
	}
	if err := f.q.SetPlan(ctx, f.user.ID, core.PlanUnlimited); err != nil {
		t.Fatal(err)
	}
	if release, err = f.q.Admit(ctx, f.fn, false); err != nil {
		t.Fatalf("after the upgrade: %v", err)
	}
	release(nil)
	if st, _ := f.q.Status(ctx, f.user.ID); st.Plan.Name != core.PlanUnlimited {
		t.Fatalf("plan %q", st.Plan.Name)
	}
}

// TestPlanOf: assigned plans, the default, and admins.
func TestPlanOf(t *testing.T) {
	p := usage.Policy{Plans: core.BuiltinPlans(), DefaultPlan: core.PlanFree}
	for _, tc := range []struct {
		plan string
		role core.Role
		want string
	}{
		{"", core.RoleUser, core.PlanFree},
		{"", core.RoleAdmin, core.PlanUnlimited},
		{"unlimited", core.RoleUser, core.PlanUnlimited},
		{"free", core.RoleAdmin, core.PlanFree},
		{"removed", core.RoleUser, core.PlanFree},
	} {
		a := &core.Account{User: core.User{Role: tc.role}, Plan: tc.plan}
		if got := p.PlanOf(a).Name; got != tc.want {
			t.Errorf("plan %q role %s: %s, want %s", tc.plan, tc.role, got, tc.want)
		}
	}
}

func TestBilled(t *testing.T) {
	for _, tc := range []struct{ dur, g, want int64 }{
		{0, 1, 1},
		{1, 1, 1},
		{37, 1, 37},
		{0, 100, 100},
		{1, 100, 100},
		{100, 100, 100},
		{101, 100, 200},
		{-5, 1, 1},
		{7, 0, 7},
		{59_999, 60_000, 60_000},
	} {
		if got := usage.Billed(tc.dur, tc.g); got != tc.want {
			t.Errorf("Billed(%d, %d) = %d, want %d", tc.dur, tc.g, got, tc.want)
		}
	}
}
