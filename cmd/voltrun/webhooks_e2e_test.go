package main

import (
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/webhook"
)

// createHook registers a webhook and returns its id and signing secret.
func (s *testServer) createHook(auth []string, body map[string]any) (id, secret string) {
	s.t.Helper()
	r := s.do("POST", "/api/webhooks", body, auth...)
	expect(s.t, r, 201, "")
	h := r.json(s.t)
	secret, _ = h["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || r.Header.Get("Location") != "/api/webhooks/"+h["id"].(string) {
		s.t.Fatalf("created webhook %s", r.Body)
	}
	return h["id"].(string), secret
}

// deliveries lists a webhook's delivery log.
func (s *testServer) deliveries(auth []string, id string) []map[string]any {
	s.t.Helper()
	r := s.do("GET", "/api/webhooks/"+id+"/deliveries", nil, auth...)
	expect(s.t, r, 200, "")
	var out []map[string]any
	for _, it := range r.json(s.t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// verifySigned fails t unless req carries a valid signature of its body.
func verifySigned(t *testing.T, req hookRequest, secret string) {
	t.Helper()
	if err := webhook.Verify(secret, req.Header.Get("X-VoltRun-Signature"), req.Body, 5*time.Minute, time.Now()); err != nil {
		t.Fatalf("signature %q: %v", req.Header.Get("X-VoltRun-Signature"), err)
	}
}

// TestWebhookRetries: a receiver that fails twice and then succeeds gets
// the invocation.failed event three times (the same event, each signed),
// and the event once accepted; the log says so.
func TestWebhookRetries(t *testing.T) {
	s, _, auth := billingServer(t, "", "", map[string]string{
		"VOLTRUN_WEBHOOK_ALLOW_PRIVATE": "true", "VOLTRUN_WEBHOOK_RETRY_BASE": "100ms",
	})
	rcv := newHookReceiver(t, "127.0.0.1:0", 500, 502, 200)
	id, secret := s.createHook(auth, map[string]any{"url": rcv.URL, "events": []string{"invocation.failed"}})
	s.deploy(auth, map[string]any{"name": "ok", "runtime": "nodejs", "code": okNode})
	s.deploy(auth, map[string]any{"name": "boom", "runtime": "nodejs", "code": boomNode})
	expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 200, "") // not an event
	r := s.do("POST", "/api/functions/boom/invoke", nil, auth...)
	expect(t, r, 200, "")
	execID := r.json(t)["execution_id"].(string)

	waitFor(t, 15*time.Second, "delivered", func() bool {
		ds := s.deliveries(auth, id)
		return len(ds) == 1 && ds[0]["status"] == "succeeded"
	})
	time.Sleep(500 * time.Millisecond) // nothing more comes
	got := rcv.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	eventID := got[0].Header.Get("X-VoltRun-Event-Id")
	for i, req := range got {
		verifySigned(t, req, secret)
		ev := req.event(t)
		data := ev["data"].(map[string]any)
		if req.Header.Get("X-VoltRun-Event-Id") != eventID || ev["id"] != eventID || ev["type"] != "invocation.failed" ||
			data["execution_id"] != execID || data["function_name"] != "boom" || data["status"] != "failed" ||
			!strings.Contains(str(data["error"]), "boom") || req.Header.Get("X-VoltRun-Attempt") != str(i+1) {
			t.Fatalf("attempt %d: %v %s", i+1, req.Header, req.Body)
		}
	}
	d := s.deliveries(auth, id)[0]
	if asInt(d["attempts"]) != 3 || asInt(d["response_code"]) != 200 || d["event_id"] != eventID || d["delivered_at"] == nil {
		t.Fatalf("delivery log %v", d)
	}
	// A tampered body fails verification.
	if webhook.Verify(secret, got[2].Header.Get("X-VoltRun-Signature"), append(got[2].Body, ' '), time.Minute, time.Now()) == nil {
		t.Fatal("a tampered body verified")
	}
}

// TestWebhookSurvivesRestart: a receiver down while the server runs and
// restarts still gets the event afterwards: deliveries are in the
// database, not in memory.
func TestWebhookSurvivesRestart(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			dir, dbURL := t.TempDir(), db(t)
			env := map[string]string{"VOLTRUN_WEBHOOK_ALLOW_PRIVATE": "true", "VOLTRUN_WEBHOOK_RETRY_BASE": "200ms"}
			s, _, auth := billingServer(t, dir, dbURL, env)
			addr := freePort(t) // nothing listens: the receiver is down
			id, secret := s.createHook(auth, map[string]any{"url": "http://" + addr + "/hook", "events": []string{"invocation.failed"}})
			s.deploy(auth, map[string]any{"name": "boom", "runtime": "nodejs", "code": boomNode})
			r := s.do("POST", "/api/functions/boom/invoke", nil, auth...)
			expect(t, r, 200, "")
			execID := r.json(t)["execution_id"].(string)
			waitFor(t, 10*time.Second, "a failed attempt", func() bool {
				ds := s.deliveries(auth, id)
				return len(ds) == 1 && asInt(ds[0]["attempts"]) >= 1 && ds[0]["error"] != ""
			})
			d := s.deliveries(auth, id)[0]
			if d["status"] != "pending" || asInt(d["response_code"]) != 0 {
				t.Fatalf("while down: %v", d)
			}
			s.stop()

			rcv := newHookReceiver(t, addr, 200)
			s = startServer(t, dir, dbURL, env)
			waitFor(t, 15*time.Second, "delivered after the restart", func() bool { return len(rcv.requests()) > 0 })
			req := rcv.requests()[0]
			verifySigned(t, req, secret)
			if data := req.event(t)["data"].(map[string]any); data["execution_id"] != execID {
				t.Fatalf("event %s", req.Body)
			}
			waitFor(t, 5*time.Second, "logged", func() bool { return s.deliveries(auth, id)[0]["status"] == "succeeded" })
			time.Sleep(300 * time.Millisecond)
			if n := len(rcv.requests()); n != 1 {
				t.Fatalf("receiver got %d requests, want 1", n)
			}
		})
	}
}

// TestUsageReports: account and operator webhooks get signed usage.report
// events every interval: the account's month to date, or every account's.
func TestUsageReports(t *testing.T) {
	s, admin, auth := billingServer(t, "", "", map[string]string{
		"VOLTRUN_WEBHOOK_ALLOW_PRIVATE": "true", "VOLTRUN_USAGE_REPORT_INTERVAL": "1s",
	})
	s.deploy(auth, map[string]any{"name": "ok", "runtime": "nodejs", "code": okNode, "memory_mb": 512})
	for range 3 {
		expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 200, "")
	}
	waitFor(t, 10*time.Second, "usage metered", func() bool { return total(s.usageOf(auth, ""), "invocations") == 3 })
	mine, ops := newHookReceiver(t, "127.0.0.1:0", 204), newHookReceiver(t, "127.0.0.1:0", 204)
	_, mySecret := s.createHook(auth, map[string]any{"url": mine.URL, "events": []string{"usage.report"}})
	_, opsSecret := s.createHook(admin, map[string]any{"url": ops.URL, "events": []string{"usage.report", "invocation.failed"}, "all_accounts": true})
	waitFor(t, 15*time.Second, "reports", func() bool { return len(mine.ofType("usage.report")) > 0 && len(ops.ofType("usage.report")) > 0 })

	req := mine.ofType("usage.report")[0]
	verifySigned(t, req, mySecret)
	data := req.event(t)["data"].(map[string]any)
	totals := data["totals"].(map[string]any)
	if data["plan"] != "free" || totals["invocations"] != 3.0 || len(data["functions"].([]any)) != 1 || totals["gb_seconds"].(float64) <= 0 {
		t.Fatalf("account report %s", req.Body)
	}
	req = ops.ofType("usage.report")[0]
	verifySigned(t, req, opsSecret)
	data = req.event(t)["data"].(map[string]any)
	accounts := data["accounts"].([]any)
	if len(accounts) != 1 || accounts[0].(map[string]any)["email"] != "customer@example.com" || req.event(t)["account_id"] != nil {
		t.Fatalf("operator report %s", req.Body)
	}
	// An operator webhook hears every account's failures.
	s.deploy(auth, map[string]any{"name": "boom", "runtime": "nodejs", "code": boomNode})
	expect(t, s.do("POST", "/api/functions/boom/invoke", nil, auth...), 200, "")
	waitFor(t, 10*time.Second, "operator's invocation.failed", func() bool { return len(ops.ofType("invocation.failed")) == 1 })
}

// TestWebhookValidation: the error contract, SSRF refusals, scopes and
// owner isolation.
func TestWebhookValidation(t *testing.T) {
	s, admin, auth := billingServer(t, "", "", nil) // private targets refused
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"url": "http://127.0.0.1:9/hook", "events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "http://localhost/hook", "events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "http://169.254.169.254/latest/meta-data/", "events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "http://[::1]/", "events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "http://10.1.2.3/", "events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "ftp://93.184.216.34/", "events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "https://93.184.216.34/", "events": []string{"invoice.paid"}}, "events"},
		{map[string]any{"url": "https://93.184.216.34/", "events": []string{}}, "events"},
		{map[string]any{"events": []string{"quota.exceeded"}}, "url"},
		{map[string]any{"url": "https://93.184.216.34/", "events": "quota.exceeded"}, "events"},
		{map[string]any{"url": "https://93.184.216.34/", "events": []string{"quota.exceeded"}, "secret": "mine"}, "secret"},
	} {
		r := s.do("POST", "/api/webhooks", tc.body, auth...)
		expect(t, r, 400, "validation_failed")
		if fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any); fields[tc.field] == nil {
			t.Fatalf("%v: no %s field in %s", tc.body, tc.field, r.Body)
		}
	}
	expect(t, s.do("POST", "/api/webhooks", "{", auth...), 400, "invalid_request")
	public := map[string]any{"url": "https://93.184.216.34/hook", "events": []string{"quota.exceeded", "quota.exceeded"}}
	expect(t, s.do("POST", "/api/webhooks", map[string]any{"url": "https://93.184.216.34/", "events": []string{"usage.report"}, "all_accounts": true}, auth...), 403, "forbidden")
	id, _ := s.createHook(auth, public)
	r := s.do("GET", "/api/webhooks/"+id, nil, auth...)
	expect(t, r, 200, "")
	if h := r.json(t); len(h["events"].([]any)) != 1 || h["secret"] != nil {
		t.Fatalf("webhook %s", r.Body)
	}
	r = s.do("GET", "/api/webhooks", nil, auth...)
	expect(t, r, 200, "")
	if strings.Contains(string(r.Body), "whsec_") || len(r.json(t)["items"].([]any)) != 1 {
		t.Fatalf("list %s", r.Body)
	}
	// Another account's webhook is not found; keys need webhooks:write.
	expect(t, s.do("GET", "/api/webhooks/"+id, nil, admin...), 404, "not_found")
	expect(t, s.do("DELETE", "/api/webhooks/"+id, nil, admin...), 404, "not_found")
	expect(t, s.do("GET", "/api/webhooks/"+id+"/deliveries", nil, admin...), 404, "not_found")
	k := s.do("POST", "/api/keys", map[string]any{"name": "k", "scopes": []string{"usage:read"}}, auth...)
	expect(t, k, 201, "")
	expect(t, s.do("GET", "/api/webhooks", nil, "X-API-Key", k.json(t)["key"].(string)), 403, "forbidden")
	expect(t, s.do("DELETE", "/api/webhooks/"+id, nil, auth...), 204, "")
	expect(t, s.do("DELETE", "/api/webhooks/"+id, nil, auth...), 404, "not_found")
}
