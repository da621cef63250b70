package usage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// Store is what Quotas reads and writes: accounts, their metered usage and
// the outbox its quota.exceeded events go to.
type Store interface {
	core.AccountStore
	core.UsageStore
	EnqueueEvent(ctx context.Context, ev *core.Event) (int, error)
}

// Options configure Quotas.
type Options struct {
	Store  Store
	Policy Policy
	Log    *zap.Logger
	// Notify, if set, is called after quota.exceeded events are queued
	// (to wake the webhook sender).
	Notify func()
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Registerer receives the refusal counters; nil keeps them private.
	Registerer prometheus.Registerer
}

// Timings of the account cache.
const (
	// planTTL is how often Run reloads a busy account's plan and role,
	// and pulls its month's counters up to the database's (usage counted
	// by other servers).
	planTTL = 30 * time.Second
	// idleTTL is how long an account may go unused before Run forgets
	// it; by then its records are long written, so reloading it from the
	// aggregates loses nothing.
	idleTTL = 10 * time.Minute
	// loadTimeout bounds loading an account on its first call.
	loadTimeout = 10 * time.Second
)

// Quotas enforces plans. Its counters live in memory: an account is loaded
// on its first call (its plan, and its month's invocations and GB-seconds
// from the usage aggregates), then every call reserves against the
// counters under the account's lock, so a quota trips at exactly its limit
// however many calls race, and no call waits on the database. A reserved
// call that ends without an execution record is refunded.
//
// Counters are exact for one server. With several servers each also pulls
// its counters up to the database's totals every planTTL, so together they
// may overshoot a monthly quota by what the others ran in that window.
//
// Quotas is safe for concurrent use. Run refreshes plans, forgets idle
// accounts and queues quota.exceeded events; without it quotas still hold.
type Quotas struct {
	store   Store
	policy  Policy
	log     *zap.Logger
	notify  func()
	now     func() time.Time
	metrics *metrics

	mu       sync.Mutex
	accounts map[string]*account
	limiter  *limiter
	events   chan core.Event
}

// New returns Quotas enforcing opts.Policy.
func New(opts Options) *Quotas {
	q := &Quotas{
		store: opts.Store, policy: opts.Policy, log: opts.Log, notify: opts.Notify, now: opts.Now,
		accounts: map[string]*account{}, limiter: newLimiter(), events: make(chan core.Event, 256),
		metrics: newMetrics(opts.Registerer),
	}
	if q.log == nil {
		q.log = zap.NewNop()
	}
	if q.now == nil {
		q.now = time.Now
	}
	if q.notify == nil {
		q.notify = func() {}
	}
	return q
}

// account is one account's plan and counters.
type account struct {
	id    string
	ready chan struct{} // closed once loaded (or failed: err)
	err   error

	mu          sync.Mutex
	plan        core.Plan
	loadedAt    time.Time
	lastUsed    time.Time
	evicted     bool
	month       time.Time // the month the counters count
	next        time.Time // the month after
	invocations int64
	mbms        int64
	inflight    int
	notified    map[string]time.Time // quota.exceeded sent, by limit

	fnMu sync.Mutex // held while a function is created, for max_functions
}

// get returns the loaded account, loading it on first use. Callers that
// arrive while it loads wait for that load.
func (q *Quotas) get(ctx context.Context, id string) (*account, error) {
	q.mu.Lock()
	a := q.accounts[id]
	if a == nil {
		a = &account{id: id, ready: make(chan struct{})}
		q.accounts[id] = a
		q.mu.Unlock()
		loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		a.err = q.load(loadCtx, a)
		cancel()
		close(a.ready)
		if a.err != nil {
			q.forget(a)
		}
		return a, a.err
	}
	q.mu.Unlock()
	select { // loaded: the common case, without a blocking select
	case <-a.ready:
		return a, a.err
	default:
	}
	select {
	case <-a.ready:
		return a, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("usage: wait for account: %w", context.Cause(ctx))
	}
}

func (q *Quotas) forget(a *account) {
	q.mu.Lock()
	if q.accounts[a.id] == a {
		delete(q.accounts, a.id)
	}
	q.mu.Unlock()
}

// load reads a's plan and its month's usage so far.
func (q *Quotas) load(ctx context.Context, a *account) error {
	acct, err := q.store.Account(ctx, a.id)
	if err != nil {
		return fmt.Errorf("usage: load account: %w", err)
	}
	now := q.now()
	month := MonthStart(now)
	used, err := q.monthUsage(ctx, a.id, month)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.plan, a.loadedAt, a.lastUsed = q.policy.PlanOf(acct), now, now
	a.month, a.next, a.invocations, a.mbms = month, NextMonth(month), used.Invocations, used.MBMS
	return nil
}

func (q *Quotas) monthUsage(ctx context.Context, ownerID string, month time.Time) (core.UsageTotals, error) {
	groups, err := q.store.UsageBreakdown(ctx, core.UsageQuery{OwnerID: ownerID, From: month, To: month.AddDate(0, 1, 0)}, core.ByAccount)
	if err != nil {
		return core.UsageTotals{}, fmt.Errorf("usage: load month usage: %w", err)
	}
	var t core.UsageTotals
	for _, g := range groups {
		t.Add(g.UsageTotals)
	}
	return t, nil
}

// locked returns the account for ownerID with its lock held and its
// counters on now's month; the caller unlocks.
func (q *Quotas) locked(ctx context.Context, ownerID string, now time.Time) (*account, error) {
	for {
		a, err := q.get(ctx, ownerID)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		if a.evicted { // forgotten between get and Lock: load it again
			a.mu.Unlock()
			continue
		}
		if now.Before(a.month) || !now.Before(a.next) {
			a.month, a.next, a.invocations, a.mbms = MonthStart(now), NextMonth(now), 0, 0
		}
		a.lastUsed = now
		return a, nil
	}
}

// Admit reserves a call of fn against its owner's plan: one invocation of
// the month (unless retry: a later attempt of an execution admitted
// before), one concurrent execution. It refuses with CodeQuotaExceeded,
// and a RetryAfter when waiting helps, once a limit is reached. The
// returned release must be called once when the call ends, with its
// execution record, or nil when it ended without a billable one (the
// invocation is then refunded). It implements engine.Admission.
func (q *Quotas) Admit(ctx context.Context, fn *core.Function, retry bool) (release func(*core.Execution), err error) {
	now := q.now()
	a, err := q.locked(ctx, fn.OwnerID, now)
	if err != nil {
		return nil, err
	}
	if qe := a.admit(now, retry); qe != nil {
		ev := q.exceeded(a, qe, now)
		a.mu.Unlock()
		q.emit(ev)
		q.metrics.refusals.WithLabelValues(qe.limit).Inc()
		return nil, qe.err
	}
	month := a.month
	a.mu.Unlock()
	var once sync.Once
	return func(e *core.Execution) { once.Do(func() { a.release(month, retry, e) }) }, nil
}

// admit checks a's limits and reserves a call; a.mu is held. A retry is
// held to the concurrency limit only: its execution counted already.
func (a *account) admit(now time.Time, retry bool) *quotaError {
	p := &a.plan
	if p.MaxConcurrent > 0 && a.inflight >= p.MaxConcurrent {
		return &quotaError{limit: "max_concurrent_executions", value: int64(p.MaxConcurrent), used: int64(a.inflight), err: &core.Error{
			Code:       core.CodeQuotaExceeded,
			Message:    fmt.Sprintf("your plan %q allows %d concurrent executions and all are running; retry when one ends", p.Name, p.MaxConcurrent),
			RetryAfter: time.Second,
		}}
	}
	if retry {
		a.inflight++
		return nil
	}
	if qe := a.overMonthly(now); qe != nil {
		return qe
	}
	a.inflight++
	a.invocations++
	return nil
}

// overMonthly reports a used-up monthly quota; a.mu is held.
func (a *account) overMonthly(now time.Time) *quotaError {
	p := &a.plan
	resets := a.next
	if p.MonthlyInvocations > 0 && a.invocations >= p.MonthlyInvocations {
		return &quotaError{limit: "monthly_invocations", value: p.MonthlyInvocations, used: a.invocations, resets: resets, err: &core.Error{
			Code: core.CodeQuotaExceeded,
			Message: fmt.Sprintf("your plan %q allows %d invocations a month and they are used up; the quota resets at %s",
				p.Name, p.MonthlyInvocations, resets.Format(time.RFC3339)),
			RetryAfter: resets.Sub(now),
		}}
	}
	if limit := p.MonthlyMBMS(); limit > 0 && a.mbms >= limit {
		return &quotaError{limit: "monthly_gb_seconds", value: limit, used: a.mbms, resets: resets, err: &core.Error{
			Code: core.CodeQuotaExceeded,
			Message: fmt.Sprintf("your plan %q allows %g GB-seconds a month and they are used up; the quota resets at %s",
				p.Name, p.MonthlyGBSeconds, resets.Format(time.RFC3339)),
			RetryAfter: resets.Sub(now),
		}}
	}
	return nil
}

// release ends a reservation made in month. Like the store's metering, it
// counts an execution's GB-seconds once it is done (an asynchronous
// attempt that will be retried is not), and refunds a first attempt that
// ended without a billable record.
func (a *account) release(month time.Time, retry bool, e *core.Execution) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	if !a.month.Equal(month) { // the month turned meanwhile: its counters are gone
		return
	}
	switch {
	case e == nil || !core.Billable(e):
		if !retry && (e == nil || e.Done()) {
			a.invocations--
		}
	case e.Done():
		a.mbms += int64(e.MemoryMB) * e.BilledMS
	}
}

// quotaError is a refusal with what the quota.exceeded event says of it.
type quotaError struct {
	limit  string
	value  int64 // the limit (MB·ms for monthly_gb_seconds)
	used   int64
	resets time.Time // zero unless monthly
	err    *core.Error
}

// Throttle gates an invoke request before any work is done for it: it
// refuses with CodeQuotaExceeded when ownerID's monthly quotas are used up
// (so asynchronous calls are refused before they are queued), and takes a
// token from the account's and (when keyID is set) the API key's
// request-rate buckets, as the plan sets them, or refuses with
// CodeRateLimited. Both refusals carry a RetryAfter.
func (q *Quotas) Throttle(ctx context.Context, ownerID, keyID string) error {
	now := q.now()
	a, err := q.locked(ctx, ownerID, now)
	if err != nil {
		return err
	}
	if qe := a.overMonthly(now); qe != nil {
		ev := q.exceeded(a, qe, now)
		a.mu.Unlock()
		q.emit(ev)
		q.metrics.refusals.WithLabelValues(qe.limit).Inc()
		return qe.err
	}
	p := a.plan
	a.mu.Unlock()
	limits := [2]limit{{key: bucketKey{'a', ownerID}, rate: p.RequestsPerSecond, burst: p.Burst}}
	if keyID != "" {
		limits[1] = limit{key: bucketKey{'k', keyID}, rate: p.KeyRequestsPerSecond, burst: p.KeyBurst}
	}
	if ok, wait, keyed := q.limiter.allow(now, limits[:]...); !ok {
		name := "requests_per_second"
		if keyed {
			name = "key_requests_per_second"
		}
		q.metrics.refusals.WithLabelValues(name).Inc()
		return &core.Error{
			Code:       core.CodeRateLimited,
			Message:    fmt.Sprintf("too many requests: your plan %q allows %g a second (%g per API key); slow down", p.Name, p.RequestsPerSecond, p.KeyRequestsPerSecond),
			RetryAfter: max(wait, time.Second),
		}
	}
	return nil
}

// GuardFunction checks a function being created (adding) or changed
// against ownerID's plan — memoryMB, when set, within max_memory_mb, and a
// new function within max_functions — and runs save if it fits. Saves of
// new functions of one account run one at a time, so concurrent creations
// cannot overshoot max_functions (on one server).
func (q *Quotas) GuardFunction(ctx context.Context, ownerID string, memoryMB int, adding bool, save func() error) error {
	now := q.now()
	a, err := q.locked(ctx, ownerID, now)
	if err != nil {
		return err
	}
	p := a.plan
	a.mu.Unlock()
	if p.MaxMemoryMB > 0 && memoryMB > p.MaxMemoryMB {
		return q.refuse(a, now, &quotaError{limit: "max_memory_mb", value: int64(p.MaxMemoryMB), used: int64(memoryMB), err: &core.Error{
			Code:    core.CodeQuotaExceeded,
			Message: fmt.Sprintf("your plan %q allows at most %d MB of memory per function", p.Name, p.MaxMemoryMB),
			Fields:  map[string]string{"memory_mb": fmt.Sprintf("must be at most %d on your plan", p.MaxMemoryMB)},
		}})
	}
	if !adding || p.MaxFunctions <= 0 {
		return save()
	}
	a.fnMu.Lock()
	defer a.fnMu.Unlock()
	n, err := q.store.CountFunctions(ctx, ownerID)
	if err != nil {
		return fmt.Errorf("usage: count functions: %w", err)
	}
	if n >= p.MaxFunctions {
		return q.refuse(a, now, &quotaError{limit: "max_functions", value: int64(p.MaxFunctions), used: int64(n), err: &core.Error{
			Code:    core.CodeQuotaExceeded,
			Message: fmt.Sprintf("your plan %q allows %d functions and you have %d; delete one first", p.Name, p.MaxFunctions, n),
		}})
	}
	return save()
}

func (q *Quotas) refuse(a *account, now time.Time, qe *quotaError) error {
	a.mu.Lock()
	ev := q.exceeded(a, qe, now)
	a.mu.Unlock()
	q.emit(ev)
	q.metrics.refusals.WithLabelValues(qe.limit).Inc()
	return qe.err
}

// Status is an account's plan and what it used of it this month.
type Status struct {
	Plan        core.Plan
	Month       time.Time
	ResetsAt    time.Time
	Invocations int64
	MBMS        int64
	Running     int
}

// Status returns ownerID's plan and this month's counters.
func (q *Quotas) Status(ctx context.Context, ownerID string) (Status, error) {
	now := q.now()
	a, err := q.locked(ctx, ownerID, now)
	if err != nil {
		return Status{}, err
	}
	defer a.mu.Unlock()
	return Status{
		Plan: a.plan, Month: a.month, ResetsAt: NextMonth(now),
		Invocations: a.invocations, MBMS: a.mbms, Running: a.inflight,
	}, nil
}

// ErrUnknownPlan means SetPlan was given a plan the configuration lacks.
var ErrUnknownPlan = errors.New("usage: unknown plan")

// SetPlan assigns a configured plan to a user ("" for the default plan);
// it applies to their next call.
func (q *Quotas) SetPlan(ctx context.Context, userID, plan string) error {
	if _, ok := q.policy.Plans[plan]; !ok && plan != "" {
		return &core.Error{
			Code: core.CodeValidation, Message: "one or more fields are invalid", Err: ErrUnknownPlan,
			Fields: map[string]string{"plan": fmt.Sprintf("no plan is named %q; see GET /api/admin/plans", plan)},
		}
	}
	if err := q.store.SetPlan(ctx, userID, plan); err != nil {
		return err
	}
	q.mu.Lock()
	a := q.accounts[userID]
	q.mu.Unlock()
	if a != nil {
		<-a.ready
		if a.err == nil {
			q.reload(ctx, a)
		}
	}
	return nil
}

// Policy returns the billing policy in force.
func (q *Quotas) Policy() *Policy { return &q.policy }

// PromoteAdmins applies the admin policy: the configured emails are
// admins; without any, the first registered user is. Call it at start-up
// and after each registration; it reports whether userID (if set) became
// an admin.
func (q *Quotas) PromoteAdmins(ctx context.Context, userID string) (bool, error) {
	n, err := q.store.PromoteAdmins(ctx, q.policy.AdminEmails, len(q.policy.AdminEmails) == 0)
	if err != nil || n == 0 || userID == "" {
		return false, err
	}
	a, err := q.store.Account(ctx, userID)
	if err != nil {
		return false, fmt.Errorf("usage: read promoted account: %w", err)
	}
	return a.Role == core.RoleAdmin, nil
}
