package core

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLatencyBucket checks the scheme as documented: ⌈log₁.₂ ms⌉, bucket 0
// up to 1 ms, the last bucket for everything past the others, and each
// bucket's range holding exactly its durations.
func TestLatencyBucket(t *testing.T) {
	tests := []struct {
		ms   int64
		want int
	}{
		{-5, 0},
		{0, 0},
		{1, 0},
		{2, 4},
		{10, 13},
		{46, 21},
		{47, 22},
		{55, 22},
		{56, 23},
		{100, 26},
		{1000, 38},
		{MaxTimeoutMS, 76},
		{math.MaxInt64, LatencyBuckets - 1},
	}
	for _, tt := range tests {
		if got := LatencyBucket(tt.ms); got != tt.want {
			t.Errorf("LatencyBucket(%d) = %d, want %d", tt.ms, got, tt.want)
		}
	}
	for ms := int64(2); ms < 4_000_000; ms = ms*21/20 + 1 {
		want := min(int(math.Ceil(math.Log(float64(ms))/math.Log(LatencyGrowth))), LatencyBuckets-1)
		b := LatencyBucket(ms)
		if b != want {
			t.Fatalf("LatencyBucket(%d) = %d, want ⌈log₁.₂ %d⌉ = %d", ms, b, ms, want)
		}
		lo, hi := LatencyBucketRange(b)
		if d := float64(ms); d <= lo || (d > hi && b < LatencyBuckets-1) {
			t.Fatalf("%d ms in bucket %d, whose range is (%v, %v]", ms, b, lo, hi)
		}
	}
	if lo, hi := LatencyBucketRange(0); lo != 0 || hi != 1 {
		t.Errorf("bucket 0 is (%v, %v], want [0, 1]", lo, hi)
	}
}

// TestLatencyQuantile checks percentiles read from histograms of known
// durations against the true ones: within a bucket's width (20%; 1 ms in
// bucket 0), and close for evenly spread durations.
func TestLatencyQuantile(t *testing.T) {
	var empty LatencyHistogram
	if _, ok := empty.Quantile(0.5); ok {
		t.Fatal("an empty histogram has a median")
	}
	var one LatencyHistogram
	one.Add(40)
	for _, q := range []float64{0, 0.5, 1} {
		lo, hi := LatencyBucketRange(LatencyBucket(40))
		if v, ok := one.Quantile(q); !ok || v < lo || v > hi {
			t.Errorf("one 40 ms call: q%v = %v, %v; want in (%v, %v]", q, v, ok, lo, hi)
		}
	}
	var even LatencyHistogram
	for ms := range int64(100) {
		even.Add(ms + 1)
	}
	if even.Count() != 100 {
		t.Fatalf("count %d", even.Count())
	}
	for _, tc := range []struct{ q, want float64 }{{0.5, 50}, {0.95, 95}} {
		if v, _ := even.Quantile(tc.q); math.Abs(v-tc.want) > 0.02*tc.want {
			t.Errorf("1..100 ms: q%v = %v, want %v within 2%%", tc.q, v, tc.want)
		}
	}

	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // reproducible data
	for round := range 200 {
		n := 1 + rng.IntN(2000)
		median := math.Exp(rng.Float64() * 10)
		ds := make([]int64, n)
		var h LatencyHistogram
		for i := range ds {
			ds[i] = int64(median * math.Exp(rng.NormFloat64()))
			h.Add(ds[i])
		}
		slices.Sort(ds)
		for _, q := range []float64{0.5, 0.95} {
			truth := float64(ds[int(math.Ceil(q*float64(n)))-1])
			got, ok := h.Quantile(q)
			if !ok || math.Abs(got-truth) > max(0.2*truth, 1) {
				t.Fatalf("round %d, %d calls around %.0f ms: q%v = %v, true %v", round, n, median, q, got, truth)
			}
		}
	}
}

// TestLatencyMerge: AddBucket clamps bucket numbers; Merge adds counts.
func TestLatencyMerge(t *testing.T) {
	var h LatencyHistogram
	h.AddBucket(-1, 2)
	h.AddBucket(LatencyBuckets+5, 3)
	h.AddBucket(7, 4)
	if h[0] != 2 || h[LatencyBuckets-1] != 3 || h[7] != 4 || h.Count() != 9 {
		t.Fatalf("histogram %v", h)
	}
	var m LatencyHistogram
	m.Add(1)
	m.Merge(&h)
	if m[0] != 3 || m[7] != 4 || m.Count() != 10 {
		t.Fatalf("merged %v", m)
	}
}
