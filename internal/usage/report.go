package usage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// ReportStore is what Reporter reads and writes.
type ReportStore interface {
	core.UsageStore
	core.AccountStore
	DueReports(ctx context.Context, now time.Time, every time.Duration) ([]core.Webhook, error)
	EnqueueReport(ctx context.Context, w *core.Webhook, ev *core.Event) (bool, error)
}

// Reporter queues a usage.report event for every subscribed webhook once
// per interval. The schedule is kept in the database (each webhook's last
// report time), so restarts neither skip nor repeat reports, and several
// servers queue each report once.
type Reporter struct {
	Store  ReportStore
	Policy *Policy
	Every  time.Duration
	Log    *zap.Logger
	// Notify, if set, is called after reports are queued.
	Notify func()
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Report is the data of a usage.report event: month-to-date usage, each
// report superseding the last. An account's webhook gets Plan, Totals and
// Functions; an operator's (all accounts) gets Totals and Accounts.
type Report struct {
	Period    Period           `json:"period"`
	Plan      string           `json:"plan,omitempty"`
	Totals    Totals           `json:"totals"`
	Functions []FunctionTotals `json:"functions,omitempty"`
	Accounts  []AccountTotals  `json:"accounts,omitempty"`
}

// Period is a half-open time range [From, To).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// FunctionTotals is one function's usage.
type FunctionTotals struct {
	FunctionID   string `json:"function_id"`
	FunctionName string `json:"function_name"`
	Totals       Totals `json:"totals"`
}

// AccountTotals is one account's usage.
type AccountTotals struct {
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
	Plan      string `json:"plan"`
	Totals    Totals `json:"totals"`
}

// Run queues due reports until ctx ends, checking a few times per
// interval (at most every 30 s).
func (r *Reporter) Run(ctx context.Context) {
	tick := time.NewTicker(min(max(r.Every/4, 50*time.Millisecond), 30*time.Second))
	defer tick.Stop()
	for {
		if n, err := r.Tick(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("queue usage reports", zap.Int("queued", n), zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Tick queues the reports due now and returns how many it queued.
func (r *Reporter) Tick(ctx context.Context) (int, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	at := now().UTC()
	due, err := r.Store.DueReports(ctx, at, r.Every)
	if err != nil {
		return 0, fmt.Errorf("usage: due reports: %w", err)
	}
	queued := 0
	for i := range due {
		w := &due[i]
		data, err := r.report(ctx, w, at)
		if err != nil {
			return queued, err
		}
		ev := &core.Event{Type: core.EventUsageReport, CreatedAt: at, Data: data}
		if !w.AllAccounts {
			ev.AccountID = w.OwnerID
		}
		ok, err := r.Store.EnqueueReport(ctx, w, ev)
		if err != nil {
			return queued, fmt.Errorf("usage: queue report: %w", err)
		}
		if ok {
			queued++
		}
	}
	if queued > 0 && r.Notify != nil {
		r.Notify()
	}
	return queued, nil
}

// report builds w's report of the month to at.
func (r *Reporter) report(ctx context.Context, w *core.Webhook, at time.Time) (json.RawMessage, error) {
	period := Period{From: MonthStart(at), To: at}
	// Hours are whole in the aggregates: the current one is included.
	q := core.UsageQuery{From: period.From, To: at.Truncate(time.Hour).Add(time.Hour)}
	rep := Report{Period: period}
	var total core.UsageTotals
	if w.AllAccounts {
		groups, err := r.Store.UsageBreakdown(ctx, q, core.ByAccount)
		if err != nil {
			return nil, fmt.Errorf("usage: report: %w", err)
		}
		rep.Accounts = make([]AccountTotals, 0, len(groups))
		for _, g := range groups {
			total.Add(g.UsageTotals)
			rep.Accounts = append(rep.Accounts, AccountTotals{
				AccountID: g.OwnerID, Email: g.Email, Plan: r.Policy.PlanName(g.Plan, g.Role), Totals: TotalsOf(g.UsageTotals),
			})
		}
	} else {
		acct, err := r.Store.Account(ctx, w.OwnerID)
		if err != nil {
			return nil, fmt.Errorf("usage: report: %w", err)
		}
		rep.Plan = r.Policy.PlanOf(acct).Name
		q.OwnerID = w.OwnerID
		groups, err := r.Store.UsageBreakdown(ctx, q, core.ByFunction)
		if err != nil {
			return nil, fmt.Errorf("usage: report: %w", err)
		}
		rep.Functions = make([]FunctionTotals, 0, len(groups))
		for _, g := range groups {
			total.Add(g.UsageTotals)
			rep.Functions = append(rep.Functions, FunctionTotals{
				FunctionID: g.FunctionID, FunctionName: g.FunctionName, Totals: TotalsOf(g.UsageTotals),
			})
		}
	}
	rep.Totals = TotalsOf(total)
	data, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("usage: encode report: %w", err)
	}
	return data, nil
}
