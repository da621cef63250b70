package usage

import (
	"math"
	"sync"
	"time"
)

// limiter is a set of token buckets by key. A bucket holds up to burst
// tokens and refills at rate tokens a second; a request takes one token
// from each of its buckets, or none when any of them is empty.
type limiter struct {
	mu      sync.Mutex
	buckets map[bucketKey]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// bucketKey names a bucket: an account's ('a') or an API key's ('k').
type bucketKey struct {
	kind byte
	id   string
}

// limit is one bucket a request draws on; a zero rate is no limit.
type limit struct {
	key   bucketKey
	rate  float64
	burst int
}

func newLimiter() *limiter { return &limiter{buckets: map[bucketKey]*bucket{}} }

// allow takes a token from each limit's bucket at now, all or none. When
// it refuses, wait is how long until every bucket holds a token again, and
// keyed whether an API key's bucket ran dry.
func (l *limiter) allow(now time.Time, limits ...limit) (ok bool, wait time.Duration, keyed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	ok = true
	for _, lim := range limits {
		if lim.rate <= 0 || lim.key.id == "" {
			continue
		}
		b := l.refill(now, lim)
		if b.tokens < 1 {
			ok, keyed = false, keyed || lim.key.kind == 'k'
			wait = max(wait, time.Duration(math.Ceil((1-b.tokens)/lim.rate*float64(time.Second))))
		}
	}
	if !ok {
		return false, wait, keyed
	}
	for _, lim := range limits {
		if lim.rate > 0 && lim.key.id != "" {
			l.buckets[lim.key].tokens--
		}
	}
	return true, 0, false
}

// refill brings lim's bucket to now, creating it full.
func (l *limiter) refill(now time.Time, lim limit) *bucket {
	burst := float64(max(lim.burst, 1))
	b := l.buckets[lim.key]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		l.buckets[lim.key] = b
		return b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(burst, b.tokens+elapsed.Seconds()*lim.rate)
		b.last = now
	}
	b.tokens = min(b.tokens, burst) // the burst may have shrunk
	return b
}

// sweep drops, once a minute, buckets untouched for a minute: any bucket
// refills within burst/rate, and a dropped one comes back full, so only
// buckets slower than a token a minute forget a little.
func (l *limiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.last) >= time.Minute {
			delete(l.buckets, k)
		}
	}
}
