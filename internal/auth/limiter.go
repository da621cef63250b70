package auth

import (
	"sync"
	"time"
)

// Limiter allows at most Max events per key within a sliding Window; it
// throttles login attempts per client address and per email.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu     sync.Mutex
	events map[string][]time.Time
	sweep  time.Time
}

// NewLimiter returns a limiter allowing max events per key per window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, now: time.Now, events: map[string][]time.Time{}}
}

// Allow records an event for key and reports whether it is within the limit;
// when it is not, retryAfter says when the oldest counted event expires.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gc(now)
	cutoff := now.Add(-l.window)
	ev := l.events[key]
	i := 0
	for i < len(ev) && !ev[i].After(cutoff) {
		i++
	}
	ev = ev[i:]
	if len(ev) >= l.max {
		l.events[key] = ev
		return false, ev[0].Sub(cutoff)
	}
	l.events[key] = append(ev, now)
	return true, 0
}

// Blocked reports whether key is at its limit, without recording an event.
func (l *Limiter) Blocked(key string) (blocked bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	cutoff := now.Add(-l.window)
	n := 0
	var oldest time.Time
	for _, t := range l.events[key] {
		if t.After(cutoff) {
			if n == 0 {
				oldest = t
			}
			n++
		}
	}
	if n < l.max {
		return false, 0
	}
	return true, oldest.Sub(cutoff)
}

// gc drops idle keys once per window so memory stays bounded by recent
// activity.
func (l *Limiter) gc(now time.Time) {
	if now.Sub(l.sweep) < l.window {
		return
	}
	l.sweep = now
	cutoff := now.Add(-l.window)
	for k, ev := range l.events {
		if len(ev) == 0 || !ev[len(ev)-1].After(cutoff) {
			delete(l.events, k)
		}
	}
}
