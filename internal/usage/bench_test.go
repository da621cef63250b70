package usage_test

import (
	"testing"

	"github.com/voltrun/voltrun/internal/core"
)

// BenchmarkInvokeGate measures what quotas add to every call: Throttle
// (monthly quotas and two token buckets) then Admit and its release, on a
// loaded account with every limit set.
func BenchmarkInvokeGate(b *testing.B) {
	f := newFixture(b, core.Plan{
		MonthlyInvocations: 1 << 60, MonthlyGBSeconds: 1 << 40, MaxConcurrent: 1 << 20,
		RequestsPerSecond: 1e12, Burst: 1 << 30, KeyRequestsPerSecond: 1e12, KeyBurst: 1 << 30,
	}, midMonth)
	ctx := b.Context()
	exec := done(f.fn, 10, midMonth)
	if err := f.q.Throttle(ctx, f.user.ID, "key"); err != nil { // load the account
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := f.q.Throttle(ctx, f.user.ID, "key"); err != nil {
				b.Error(err)
				return
			}
			release, err := f.q.Admit(ctx, f.fn, false)
			if err != nil {
				b.Error(err)
				return
			}
			release(exec)
		}
	})
}
