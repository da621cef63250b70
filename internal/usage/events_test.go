package usage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/usage"
)

// TestQuotaEvents: a refusal queues one quota.exceeded event per limit
// per month, to the account's webhooks, through Run.
func TestQuotaEvents(t *testing.T) {
	f := newFixture(t, core.Plan{MonthlyInvocations: 1, MaxConcurrent: 1}, midMonth)
	ctx := t.Context()
	hook := &core.Webhook{OwnerID: f.user.ID, URL: "https://example.com/hook", Secret: "s", Events: []core.EventType{core.EventQuotaExceeded}}
	if err := f.store.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { f.q.Run(runCtx); close(ran) }()

	hold, err := f.q.Admit(ctx, f.fn, false)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // concurrency: one event
		_, err := f.q.Admit(ctx, f.fn, false)
		wantCode(t, err, core.CodeQuotaExceeded)
	}
	hold(done(f.fn, 1, midMonth))
	for range 3 { // monthly invocations: one event
		_, err := f.q.Admit(ctx, f.fn, false)
		wantCode(t, err, core.CodeQuotaExceeded)
	}
	stop()
	<-ran // Run queues what is left as it stops

	ds, err := f.store.ClaimDeliveries(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("claimed %d deliveries (%v), want 2", len(ds), err)
	}
	limits := map[string]bool{}
	for _, d := range ds {
		var ev struct {
			core.Event
			Data struct {
				Limit    string     `json:"limit"`
				Plan     string     `json:"plan"`
				Value    float64    `json:"value"`
				Used     float64    `json:"used"`
				ResetsAt *time.Time `json:"resets_at"`
			} `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type != core.EventQuotaExceeded || ev.AccountID != f.user.ID || ev.Data.Plan != "test" || ev.Data.Value != 1 {
			t.Fatalf("event %s", d.Payload)
		}
		if (ev.Data.Limit == "monthly_invocations") != (ev.Data.ResetsAt != nil) {
			t.Fatalf("resets_at on %s: %s", ev.Data.Limit, d.Payload)
		}
		limits[ev.Data.Limit] = true
	}
	if !limits["monthly_invocations"] || !limits["max_concurrent_executions"] {
		t.Fatalf("limits %v", limits)
	}
}

// TestReporter: each subscribed webhook gets one month-to-date report per
// interval: its account's, or every account's for an operator webhook.
func TestReporter(t *testing.T) {
	f := newFixture(t, core.Plan{}, midMonth)
	ctx := t.Context()
	other := f.newUser(t, "other@example.com")
	otherFn := f.newFunction(t, other.ID, "theirs")
	now := time.Now().UTC()
	execs := []core.Execution{*done(f.fn, 1000, now), *done(f.fn, 500, now), *done(otherFn, 2000, now)}
	execs[1].Status = core.ExecFailed
	if err := f.store.SaveExecutions(ctx, execs); err != nil {
		t.Fatal(err)
	}
	mine := &core.Webhook{OwnerID: f.user.ID, URL: "https://example.com/a", Secret: "s", Events: []core.EventType{core.EventUsageReport}}
	ops := &core.Webhook{OwnerID: other.ID, URL: "https://example.com/b", Secret: "s", Events: []core.EventType{core.EventUsageReport}, AllAccounts: true}
	for _, w := range []*core.Webhook{mine, ops} {
		if err := f.store.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	policy := f.q.Policy()
	clk := &clock{t: now}
	r := &usage.Reporter{Store: f.store, Policy: policy, Every: time.Hour, Log: zaptest.NewLogger(t), Now: clk.Now}
	if n, err := r.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("Tick before the interval = %d, %v", n, err)
	}
	clk.Set(now.Add(time.Hour + time.Second))
	if n, err := r.Tick(ctx); err != nil || n != 2 {
		t.Fatalf("Tick = %d, %v; want 2", n, err)
	}
	if n, err := r.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("second Tick = %d, %v; want 0", n, err)
	}
	ds, err := f.store.ClaimDeliveries(ctx, time.Now().Add(2*time.Hour), time.Minute, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("claimed %d, %v", len(ds), err)
	}
	for _, d := range ds {
		var ev struct {
			core.Event
			Data usage.Report `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		rep := ev.Data
		if !rep.Period.From.Equal(usage.MonthStart(now)) || ev.Type != core.EventUsageReport {
			t.Fatalf("report %s", d.Payload)
		}
		switch d.URL {
		case mine.URL:
			if ev.AccountID != f.user.ID || rep.Plan != "test" || rep.Totals.Invocations != 2 || rep.Totals.Errors != 1 ||
				rep.Totals.GBSeconds != 256*1500/1024000.0 || len(rep.Functions) != 1 || len(rep.Accounts) != 0 {
				t.Fatalf("account report %s", d.Payload)
			}
		case ops.URL:
			if ev.AccountID != "" || rep.Totals.Invocations != 3 || len(rep.Accounts) != 2 || len(rep.Functions) != 0 {
				t.Fatalf("operator report %s", d.Payload)
			}
		}
	}
}
