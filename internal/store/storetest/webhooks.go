package storetest

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

func newWebhook(t *testing.T, s core.Store, ownerID string, all bool, events ...core.EventType) *core.Webhook {
	t.Helper()
	w := &core.Webhook{OwnerID: ownerID, URL: "https://hooks.example.com/" + uuid.NewString(), Events: events, AllAccounts: all, Secret: "whsec_test"}
	if err := s.CreateWebhook(t.Context(), w); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return w
}

// testWebhooks checks webhooks are kept per owner.
func testWebhooks(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "hooks@example.com")
	other := newUser(t, s, "hooks-other@example.com")
	w := newWebhook(t, s, u.ID, false, core.EventInvocationFailed, core.EventUsageReport)
	wantUUIDv7(t, w.ID)
	wantStoredTime(t, "CreatedAt", w.CreatedAt)
	got, err := s.Webhook(ctx, u.ID, w.ID)
	if err != nil || got.URL != w.URL || !slices.Equal(got.Events, w.Events) || got.Secret != "whsec_test" ||
		!got.CreatedAt.Equal(w.CreatedAt) || !got.LastReportAt.Equal(w.CreatedAt) || got.AllAccounts {
		t.Fatalf("Webhook = %+v, %v; want %+v", got, err, w)
	}
	second := newWebhook(t, s, u.ID, true, core.EventQuotaExceeded)
	newWebhook(t, s, other.ID, false, core.EventQuotaExceeded)

	page, next, err := s.ListWebhooks(ctx, u.ID, core.Page{Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != w.ID || next == "" {
		t.Fatalf("first page %+v, %q, %v", page, next, err)
	}
	page, next, err = s.ListWebhooks(ctx, u.ID, core.Page{Cursor: next})
	if err != nil || len(page) != 1 || page[0].ID != second.ID || !page[0].AllAccounts || next != "" {
		t.Fatalf("second page %+v, %q, %v", page, next, err)
	}
	for _, tc := range []struct{ owner, id string }{{other.ID, w.ID}, {u.ID, uuid.NewString()}, {u.ID, "hook"}, {"x", w.ID}} {
		_, err := s.Webhook(ctx, tc.owner, tc.id)
		wantCode(t, err, core.CodeNotFound)
		wantCode(t, s.DeleteWebhook(ctx, tc.owner, tc.id), core.CodeNotFound)
		_, _, err = s.ListDeliveries(ctx, tc.owner, tc.id, core.Page{})
		wantCode(t, err, core.CodeNotFound)
	}
	if err := s.DeleteWebhook(ctx, u.ID, w.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	_, err = s.Webhook(ctx, u.ID, w.ID)
	wantCode(t, err, core.CodeNotFound)
	wantCode(t, s.CreateWebhook(ctx, &core.Webhook{OwnerID: uuid.NewString(), URL: "https://x", Secret: "s"}), core.CodeNotFound)
}

// testOutbox checks events reach exactly their subscribers, leases,
// retries, give-ups and the delivery log.
func testOutbox(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "outbox@example.com")
	other := newUser(t, s, "outbox-other@example.com")
	mine := newWebhook(t, s, u.ID, false, core.EventQuotaExceeded)
	newWebhook(t, s, u.ID, false, core.EventUsageReport) // not subscribed
	operator := newWebhook(t, s, other.ID, true, core.EventQuotaExceeded, core.EventInvocationFailed)
	newWebhook(t, s, other.ID, false, core.EventQuotaExceeded) // another account's

	ev := &core.Event{Type: core.EventQuotaExceeded, AccountID: u.ID, Data: json.RawMessage(`{"limit":"monthly_invocations"}`)}
	if n, err := s.EnqueueEvent(ctx, ev); err != nil || n != 2 {
		t.Fatalf("EnqueueEvent = %d, %v; want 2 (the account's and the operator's)", n, err)
	}
	wantUUIDv7(t, ev.ID)

	now := time.Now()
	claimed, err := s.ClaimDeliveries(ctx, now, time.Minute, 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("ClaimDeliveries = %d, %v; want 2", len(claimed), err)
	}
	urls := map[string]bool{}
	for _, d := range claimed {
		var body core.Event
		if err := json.Unmarshal(d.Payload, &body); err != nil || body.ID != ev.ID || body.Type != ev.Type ||
			body.AccountID != u.ID || string(body.Data) != `{"limit":"monthly_invocations"}` {
			t.Fatalf("payload %s (%v)", d.Payload, err)
		}
		if d.Attempts != 1 || d.Status != core.DeliveryPending || d.Secret != "whsec_test" || d.EventID != ev.ID {
			t.Fatalf("claimed %+v", d)
		}
		urls[d.URL] = true
	}
	if !urls[mine.URL] || !urls[operator.URL] {
		t.Fatalf("claimed for %v, want %s and %s", urls, mine.URL, operator.URL)
	}
	// Leased: not due again until the lease ends.
	if again, err := s.ClaimDeliveries(ctx, now.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed %d leased deliveries (%v)", len(again), err)
	}
	var ours, theirs core.Delivery
	for _, d := range claimed {
		if d.URL == mine.URL {
			ours = d
		} else {
			theirs = d
		}
	}
	// Ours fails and is retried later; theirs succeeds.
	retry := now.Add(10 * time.Second)
	finish(t, s, core.Attempt{DeliveryID: ours.ID, Number: 1, ResponseCode: 500, Error: "HTTP 500", Retry: retry})
	finish(t, s, core.Attempt{DeliveryID: theirs.ID, Number: 1, Succeeded: true, ResponseCode: 204})
	if got, _ := s.ClaimDeliveries(ctx, now.Add(5*time.Second), time.Minute, 10); len(got) != 0 {
		t.Fatalf("claimed %d before the retry time", len(got))
	}
	// A lease that expires is taken over; the stale attempt changes nothing.
	second, err := s.ClaimDeliveries(ctx, retry, time.Second, 10)
	if err != nil || len(second) != 1 || second[0].ID != ours.ID || second[0].Attempts != 2 {
		t.Fatalf("second claim %+v, %v", second, err)
	}
	third, err := s.ClaimDeliveries(ctx, retry.Add(2*time.Second), time.Minute, 10)
	if err != nil || len(third) != 1 || third[0].Attempts != 3 {
		t.Fatalf("takeover claim %+v, %v", third, err)
	}
	finish(t, s, core.Attempt{DeliveryID: ours.ID, Number: 2, Succeeded: true, ResponseCode: 200})
	finish(t, s, core.Attempt{DeliveryID: ours.ID, Number: 3, ResponseCode: 0, Error: "connection refused ✗"})
	log, next, err := s.ListDeliveries(ctx, u.ID, mine.ID, core.Page{})
	if err != nil || len(log) != 1 || next != "" {
		t.Fatalf("ListDeliveries = %+v, %q, %v", log, next, err)
	}
	d := log[0]
	if d.Status != core.DeliveryFailed || d.Attempts != 3 || d.Error != "connection refused ✗" || d.ResponseCode != 0 ||
		d.NextAttemptAt != nil || d.DeliveredAt != nil || d.EventType != core.EventQuotaExceeded || len(d.Payload) != 0 {
		t.Fatalf("failed delivery %+v", d)
	}
	log, _, err = s.ListDeliveries(ctx, other.ID, operator.ID, core.Page{})
	if err != nil || len(log) != 1 || log[0].Status != core.DeliverySucceeded || log[0].ResponseCode != 204 || log[0].DeliveredAt == nil {
		t.Fatalf("operator's log %+v, %v", log, err)
	}
	// Finished deliveries are never claimed again; a deleted webhook takes
	// its pending deliveries with it.
	if _, err := s.EnqueueEvent(ctx, &core.Event{Type: core.EventQuotaExceeded, AccountID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, u.ID, mine.ID); err != nil {
		t.Fatal(err)
	}
	left, err := s.ClaimDeliveries(ctx, now.Add(time.Hour), time.Minute, 10)
	if err != nil || len(left) != 1 || left[0].URL != operator.URL {
		t.Fatalf("after delete: %+v, %v", left, err)
	}
	if n, err := s.EnqueueEvent(ctx, &core.Event{Type: core.EventUsageReport, AccountID: uuid.NewString()}); err != nil || n != 0 {
		t.Fatalf("EnqueueEvent with no subscriber = %d, %v", n, err)
	}
}

func finish(t *testing.T, s core.Store, a core.Attempt) {
	t.Helper()
	if err := s.FinishAttempt(t.Context(), a); err != nil {
		t.Fatalf("FinishAttempt: %v", err)
	}
}

// testFailureEvents checks SaveExecutions queues one invocation.failed per
// failed execution, to the owner's and the operators' webhooks, once.
func testFailureEvents(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "failures@example.com")
	other := newUser(t, s, "failures-other@example.com")
	f := newFunction(t, s, u.ID, "flaky")
	g := newFunction(t, s, other.ID, "fine")
	mine := newWebhook(t, s, u.ID, false, core.EventInvocationFailed)
	ops := newWebhook(t, s, other.ID, true, core.EventInvocationFailed)
	newWebhook(t, s, other.ID, false, core.EventInvocationFailed)

	start := time.Now().Add(-time.Minute)
	failed := meteredExecution(t, f, core.ExecFailed, start, 128, 5, 5)
	failed.Error = &core.FunctionError{Type: "Error", Message: "boom", Stack: []string{"at x"}}
	failed.Logs, failed.Input = "secret logs", []byte(`{"card":"input-marker-q7z"}`)
	running := meteredExecution(t, f, core.ExecRunning, start, 128, 0, 0)
	ok := meteredExecution(t, g, core.ExecSucceeded, start, 128, 5, 5)
	saveExecutions(t, s, failed, running, ok)
	saveExecutions(t, s, failed, ok) // a replay queues nothing
	timedOut := running
	timedOut.Status, timedOut.Reason = core.ExecTimeout, "timeout"
	saveExecutions(t, s, timedOut)

	claimed, err := s.ClaimDeliveries(ctx, time.Now(), time.Minute, 100)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("claimed %d deliveries (%v), want 4: 2 executions × (owner + operator)", len(claimed), err)
	}
	got := map[string][]string{} // execution id → urls
	for _, d := range claimed {
		var ev struct {
			core.Event
			Data core.FailedInvocation `json:"data"`
		}
		if err := json.Unmarshal(d.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type != core.EventInvocationFailed || ev.AccountID != u.ID || ev.Data.FunctionName != "flaky" {
			t.Fatalf("event %s", d.Payload)
		}
		if ev.Data.ExecutionID == failed.ID && (ev.Data.Error == nil || ev.Data.Error.Message != "boom" || ev.Data.Status != core.ExecFailed) {
			t.Fatalf("failed event %s", d.Payload)
		}
		if bytes.Contains(d.Payload, []byte("secret logs")) || bytes.Contains(d.Payload, []byte("input-marker-q7z")) {
			t.Fatalf("event leaks logs or input: %s", d.Payload)
		}
		got[ev.Data.ExecutionID] = append(got[ev.Data.ExecutionID], d.URL)
	}
	for _, id := range []string{failed.ID, timedOut.ID} {
		urls := got[id]
		slices.Sort(urls)
		want := []string{mine.URL, ops.URL}
		slices.Sort(want)
		if !slices.Equal(urls, want) {
			t.Errorf("execution %s went to %v, want %v", id, urls, want)
		}
	}
}

// testUsageReports checks due reports are queued once per interval, and
// a stale read cannot queue one twice.
func testUsageReports(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "reports@example.com")
	w := newWebhook(t, s, u.ID, false, core.EventUsageReport)
	newWebhook(t, s, u.ID, false, core.EventQuotaExceeded)
	every := time.Hour
	if due, err := s.DueReports(ctx, time.Now(), every); err != nil || len(due) != 0 {
		t.Fatalf("due right after creation: %+v, %v", due, err)
	}
	later := time.Now().Add(every + time.Minute)
	due, err := s.DueReports(ctx, later, every)
	if err != nil || len(due) != 1 || due[0].ID != w.ID {
		t.Fatalf("DueReports = %+v, %v", due, err)
	}
	stale := due[0]
	ev := &core.Event{Type: core.EventUsageReport, AccountID: u.ID, CreatedAt: later, Data: json.RawMessage(`{"n":1}`)}
	if ok, err := s.EnqueueReport(ctx, &due[0], ev); err != nil || !ok {
		t.Fatalf("EnqueueReport = %v, %v", ok, err)
	}
	if ok, err := s.EnqueueReport(ctx, &stale, &core.Event{Type: core.EventUsageReport, AccountID: u.ID, CreatedAt: later}); err != nil || ok {
		t.Fatalf("EnqueueReport from a stale read = %v, %v; want false", ok, err)
	}
	if due, err := s.DueReports(ctx, later, every); err != nil || len(due) != 0 {
		t.Fatalf("due again at once: %+v, %v", due, err)
	}
	if due, err := s.DueReports(ctx, later.Add(every), every); err != nil || len(due) != 1 {
		t.Fatalf("due an interval later: %+v, %v", due, err)
	}
	log, _, err := s.ListDeliveries(ctx, u.ID, w.ID, core.Page{})
	if err != nil || len(log) != 1 || log[0].EventID != ev.ID || log[0].EventType != core.EventUsageReport {
		t.Fatalf("deliveries %+v, %v", log, err)
	}
}
