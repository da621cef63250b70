package core

import (
	"math"
	"sort"
	"time"
)

// Latency histograms count metered executions by duration in log-spaced
// buckets, so that percentiles can be read from aggregates of any size.
//
// This is the one definition of the bucket scheme. Bucket 0 holds
// durations up to 1 ms (0 and 1 ms: durations are whole milliseconds);
// bucket b, for 1 ≤ b < LatencyBuckets-1, holds durations d with
// LatencyGrowth^(b-1) < d ≤ LatencyGrowth^b; the last bucket holds
// everything longer than LatencyGrowth^(LatencyBuckets-2) ms (about 30
// minutes, twice MaxTimeoutMS). A bucket is 20% wide, so a percentile read
// inside it is within 20% of the true value, and its geometric middle
// within 10%.
//
// Stored histograms keep bucket numbers: changing the scheme means
// rewriting them.
const (
	LatencyGrowth  = 1.2
	LatencyBuckets = 81
)

// latencyBounds[b] is bucket b's inclusive upper bound in ms.
var latencyBounds = func() (b [LatencyBuckets]float64) {
	for i := range b {
		b[i] = math.Pow(LatencyGrowth, float64(i))
	}
	return b
}()

// LatencyBucket is the bucket of a duration of ms milliseconds.
func LatencyBucket(ms int64) int {
	d := float64(ms)
	b := sort.Search(LatencyBuckets-1, func(i int) bool { return d <= latencyBounds[i] })
	return b // LatencyBuckets-1 when d is past every bound but the last's
}

// LatencyBucketRange is the range of durations bucket b holds, (lo, hi]
// in ms; bucket 0 is [0, 1], and the last bucket, unbounded, is given the
// upper bound LatencyGrowth^b.
func LatencyBucketRange(b int) (lo, hi float64) {
	b = min(max(b, 0), LatencyBuckets-1)
	if b == 0 {
		return 0, 1
	}
	return latencyBounds[b-1], latencyBounds[b]
}

// LatencyHistogram counts durations per bucket (see LatencyBucket).
type LatencyHistogram [LatencyBuckets]int64

// Add counts one duration of ms milliseconds.
func (h *LatencyHistogram) Add(ms int64) { h[LatencyBucket(ms)]++ }

// AddBucket adds n durations to bucket b; a bucket number out of range
// counts in the nearest bucket.
func (h *LatencyHistogram) AddBucket(b int, n int64) { h[min(max(b, 0), LatencyBuckets-1)] += n }

// Merge adds o's counts to h.
func (h *LatencyHistogram) Merge(o *LatencyHistogram) {
	for b, n := range o {
		h[b] += n
	}
}

// Count is how many durations h holds.
func (h *LatencyHistogram) Count() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1; 0.95 for p95) of the
// durations in ms, as Prometheus's histogram_quantile does: it finds the
// bucket holding the q·Count-th duration and interpolates linearly inside
// it, as if that bucket's durations were spread evenly over its range. ok
// is false when h is empty.
func (h *LatencyHistogram) Quantile(q float64) (ms float64, ok bool) {
	total := h.Count()
	if total == 0 {
		return 0, false
	}
	rank := min(max(q, 0), 1) * float64(total)
	var below float64
	for b, n := range h {
		if n == 0 {
			continue
		}
		if c := float64(n); below+c >= rank {
			lo, hi := LatencyBucketRange(b)
			return lo + (hi-lo)*max(rank-below, 0)/c, true
		}
		below += float64(n)
	}
	// Unreachable: rank ≤ total. Kept for safety against rounding.
	_, hi := LatencyBucketRange(LatencyBuckets - 1)
	return hi, true
}

// LatencyPoint is the latency histogram of one bucket of a time series,
// starting at Start.
type LatencyPoint struct {
	Start time.Time
	LatencyHistogram
}
