package usage

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// quotaEventEvery spaces quota.exceeded events of the limits that are not
// monthly; a monthly limit's event is sent once a month.
const quotaEventEvery = 15 * time.Minute

// quotaExceeded is the data of a quota.exceeded event.
type quotaExceeded struct {
	Limit string `json:"limit"` // the plan field: monthly_invocations, max_concurrent_executions...
	Plan  string `json:"plan"`
	// Value is the limit and Used what the account had used or asked for
	// (GB-seconds for monthly_gb_seconds).
	Value    float64    `json:"value"`
	Used     float64    `json:"used"`
	ResetsAt *time.Time `json:"resets_at,omitempty"` // monthly limits only
}

// exceeded returns the quota.exceeded event for qe, or nil when one was
// sent recently enough; a.mu is held.
func (q *Quotas) exceeded(a *account, qe *quotaError, now time.Time) *core.Event {
	last, sent := a.notified[qe.limit]
	if sent && ((!qe.resets.IsZero() && !last.Before(a.month)) || (qe.resets.IsZero() && now.Sub(last) < quotaEventEvery)) {
		return nil
	}
	if a.notified == nil {
		a.notified = map[string]time.Time{}
	}
	a.notified[qe.limit] = now
	d := quotaExceeded{Limit: qe.limit, Plan: a.plan.Name, Value: float64(qe.value), Used: float64(qe.used)}
	if qe.limit == "monthly_gb_seconds" {
		d.Value, d.Used = float64(qe.value)/core.MBMSPerGBSecond, float64(qe.used)/core.MBMSPerGBSecond
	}
	if !qe.resets.IsZero() {
		r := qe.resets
		d.ResetsAt = &r
	}
	data, err := json.Marshal(d)
	if err != nil { // cannot happen: plain values
		q.log.Error("encode quota.exceeded", zap.Error(err))
		return nil
	}
	return &core.Event{Type: core.EventQuotaExceeded, AccountID: a.id, CreatedAt: now.UTC(), Data: data}
}

// emit hands ev to Run without blocking; when Run lags that far behind,
// the event is dropped and logged.
func (q *Quotas) emit(ev *core.Event) {
	if ev == nil {
		return
	}
	select {
	case q.events <- *ev:
	default:
		q.log.Warn("quota.exceeded event dropped: the queue is full", zap.String("account_id", ev.AccountID))
	}
}

// Run queues quota.exceeded events, and every planTTL reloads the plans
// of busy accounts, pulls their counters up to the database's and forgets
// idle ones, until ctx ends; then it queues what events are left.
func (q *Quotas) Run(ctx context.Context) {
	tick := time.NewTicker(planTTL)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case ev := <-q.events:
					q.enqueue(ctx, ev)
				default:
					return
				}
			}
		case ev := <-q.events:
			q.enqueue(ctx, ev)
		case <-tick.C:
			q.refresh(ctx)
		}
	}
}

// enqueue writes ev to the outbox; it finishes even when ctx ends
// meanwhile (Run stopping), within a few seconds.
func (q *Quotas) enqueue(ctx context.Context, ev core.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := q.store.EnqueueEvent(ctx, &ev); err != nil {
		q.log.Warn("queue quota.exceeded event", zap.String("account_id", ev.AccountID), zap.Error(err))
		return
	}
	q.notify()
}

// refresh reloads busy accounts and forgets idle ones.
func (q *Quotas) refresh(ctx context.Context) {
	now := q.now()
	q.mu.Lock()
	var busy []*account
	for id, a := range q.accounts {
		select {
		case <-a.ready:
		default:
			continue // still loading
		}
		a.mu.Lock()
		switch {
		case a.inflight == 0 && now.Sub(a.lastUsed) >= idleTTL:
			a.evicted = true
			delete(q.accounts, id)
		case now.Sub(a.loadedAt) >= planTTL:
			busy = append(busy, a)
		}
		a.mu.Unlock()
	}
	q.mu.Unlock()
	for _, a := range busy {
		if ctx.Err() != nil {
			return
		}
		q.reload(ctx, a)
	}
}

// reload rereads a's plan and raises its counters to the database's
// totals, which other servers add to.
func (q *Quotas) reload(ctx context.Context, a *account) {
	acct, err := q.store.Account(ctx, a.id)
	if err != nil {
		q.log.Warn("reload account plan", zap.String("account_id", a.id), zap.Error(err))
		return
	}
	now := q.now()
	month := MonthStart(now)
	used, err := q.monthUsage(ctx, a.id, month)
	if err != nil {
		q.log.Warn("reload account usage", zap.String("account_id", a.id), zap.Error(err))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.plan, a.loadedAt = q.policy.PlanOf(acct), now
	if a.month.Equal(month) {
		a.invocations, a.mbms = max(a.invocations, used.Invocations), max(a.mbms, used.MBMS)
	}
}
