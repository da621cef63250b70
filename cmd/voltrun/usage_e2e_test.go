package main

import (
	"math"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	okNode   = `exports.handler = async (event) => ({ ok: true, n: event.n ?? 0 });`
	boomNode = `exports.handler = async () => { throw new Error("boom"); };`
	sleepy   = `exports.handler = () => new Promise(r => setTimeout(() => r("done"), 700));`
)

// billingServer starts a server with env, an admin (the first account)
// and a customer on the default plan; it returns the customer's auth.
func billingServer(t *testing.T, dataDir, dbURL string, env map[string]string) (s *testServer, admin, customer []string) {
	t.Helper()
	s = startServer(t, dataDir, dbURL, env)
	r := s.do("POST", "/api/auth/register", map[string]string{"email": "ops@example.com", "password": "correct horse", "name": "Ops"})
	expect(t, r, 201, "")
	if role := r.json(t)["user"].(map[string]any)["role"]; role != "admin" {
		t.Fatalf("the first account's role is %v, want admin", role)
	}
	admin = bearer(r.json(t)["token"].(string))
	r = s.do("POST", "/api/auth/register", map[string]string{"email": "customer@example.com", "password": "correct horse", "name": "Customer"})
	expect(t, r, 201, "")
	if role := r.json(t)["user"].(map[string]any)["role"]; role != "user" {
		t.Fatalf("the second account's role is %v, want user", role)
	}
	return s, admin, bearer(r.json(t)["token"].(string))
}

// TestUsageMetering: calls are metered per account and function with
// billed time rounded to the granularity and exact GB-seconds; the
// operator sees every account; bad queries get the error contract.
func TestUsageMetering(t *testing.T) {
	s, admin, auth := billingServer(t, "", "", map[string]string{"VOLTRUN_BILLING_GRANULARITY_MS": "100"})
	s.deploy(auth, map[string]any{"name": "ok", "runtime": "nodejs", "code": okNode, "memory_mb": 256})
	s.deploy(auth, map[string]any{"name": "boom", "runtime": "nodejs", "code": boomNode, "memory_mb": 128})
	var duration, billed, mbms float64
	for i, name := range []string{"ok", "ok", "ok", "boom", "boom"} {
		r := s.do("POST", "/api/functions/"+name+"/invoke", map[string]any{"n": i}, auth...)
		expect(t, r, 200, "")
		res := r.json(t)
		b := res["billed_ms"].(float64)
		if int(b)%100 != 0 || b < res["duration_ms"].(float64) || b == 0 {
			t.Fatalf("billed_ms %v for duration_ms %v: want it rounded up to 100", b, res["duration_ms"])
		}
		duration += res["duration_ms"].(float64)
		billed += b
		mem := 256.0
		if name == "boom" {
			mem = 128
		}
		mbms += mem * b
	}
	var u map[string]any
	waitFor(t, 10*time.Second, "usage metered", func() bool {
		u = s.usageOf(auth, "granularity=hour")
		return total(u, "invocations") == 5
	})
	if total(u, "errors") != 2 || total(u, "duration_ms") != duration || total(u, "billed_ms") != billed ||
		total(u, "gb_seconds") != mbms/1024000 {
		t.Fatalf("totals %v; want 2 errors, %v ms, %v billed, %v GB-s", u["totals"], duration, billed, mbms/1024000)
	}
	series := u["series"].([]any)
	var sum float64
	for _, p := range series {
		sum += p.(map[string]any)["invocations"].(float64)
	}
	if sum != 5 || len(series) == 0 || len(series) > 744 {
		t.Fatalf("series of %d hours sums to %v", len(series), sum)
	}
	if fns := u["functions"].([]any); len(fns) != 2 {
		t.Fatalf("functions %v", fns)
	}
	one := s.usageOf(auth, "granularity=day&function_id=boom")
	if total(one, "invocations") != 2 || total(one, "errors") != 2 || one["function_id"] == "" || one["functions"] != nil {
		t.Fatalf("one function: %v", one)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	day := s.usageOf(auth, url.Values{"from": {today}, "to": {tomorrow}}.Encode())
	if total(day, "invocations") != 5 || len(day["series"].([]any)) != 1 || day["granularity"] != "day" {
		t.Fatalf("today: %v", day)
	}

	// The operator's view across accounts; the admin's own usage is apart.
	if u := s.usageOf(admin, ""); total(u, "invocations") != 0 {
		t.Fatalf("the admin's own usage: %v", u["totals"])
	}
	r := s.do("GET", "/api/admin/usage", nil, admin...)
	expect(t, r, 200, "")
	accounts := r.json(t)["accounts"].([]any)
	if len(accounts) != 1 || accounts[0].(map[string]any)["email"] != "customer@example.com" ||
		accounts[0].(map[string]any)["invocations"] != 5.0 || accounts[0].(map[string]any)["plan"] != "free" {
		t.Fatalf("admin usage accounts %v", accounts)
	}
	expect(t, s.do("GET", "/api/admin/usage", nil, auth...), 403, "forbidden")
	expect(t, s.do("GET", "/api/admin/accounts", nil, auth...), 403, "forbidden")

	// Scopes: usage:read is needed; the admin scope for admin routes.
	key := func(cred []string, scopes ...string) []string {
		r := s.do("POST", "/api/keys", map[string]any{"name": "k", "scopes": scopes}, cred...)
		expect(t, r, 201, "")
		return []string{"X-API-Key", r.json(t)["key"].(string)}
	}
	expect(t, s.do("GET", "/api/usage", nil, key(auth, "functions:read")...), 403, "forbidden")
	expect(t, s.do("GET", "/api/usage", nil, key(auth, "usage:read")...), 200, "")
	expect(t, s.do("GET", "/api/admin/usage", nil, key(admin, "usage:read")...), 403, "forbidden")
	expect(t, s.do("GET", "/api/admin/usage", nil, key(admin, "admin")...), 200, "")
	expect(t, s.do("GET", "/api/usage", nil), 401, "unauthorized")

	// The error contract for bad queries.
	for _, tc := range []struct{ query, field string }{
		{"granularity=week", "granularity"},
		{"from=yesterday", "from"},
		{"to=2026-13-01", "to"},
		{"from=2026-02-01&to=2026-01-01", "to"},
		{"granularity=hour&from=2026-01-01&to=2026-03-01", "to"},
		{"granularity=day&from=2020-01-01&to=2026-01-01", "to"},
	} {
		r := s.do("GET", "/api/usage?"+tc.query, nil, auth...)
		expect(t, r, 400, "validation_failed")
		if fields, _ := r.json(t)["error"].(map[string]any)["fields"].(map[string]any); fields[tc.field] == nil {
			t.Fatalf("%s: no %s field in %s", tc.query, tc.field, r.Body)
		}
	}
	expect(t, s.do("GET", "/api/usage?function_id=nope", nil, auth...), 404, "not_found")
}

// TestInvocationQuota: a monthly quota of 5 admits exactly 5 of 12
// concurrent calls, refuses the rest with Retry-After to the month's end,
// still holds after a restart (counters come from the aggregates), and
// lifts when the operator changes the plan. It sends one quota.exceeded.
func TestInvocationQuota(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			dir, dbURL := t.TempDir(), db(t)
			env := plansEnv(`{"tiny": {"monthly_invocations": 5}}`, "tiny")
			s, admin, auth := billingServer(t, dir, dbURL, env)
			hook := newHookReceiver(t, "127.0.0.1:0", 200)
			expect(t, s.do("POST", "/api/webhooks", map[string]any{"url": hook.URL, "events": []string{"quota.exceeded"}}, auth...), 201, "")
			s.deploy(auth, map[string]any{"name": "ok", "runtime": "nodejs", "code": okNode, "max_concurrency": 20})

			statuses := make([]*response, 12)
			var wg sync.WaitGroup
			for i := range statuses {
				wg.Go(func() { statuses[i] = s.do("POST", "/api/functions/ok/invoke", nil, auth...) })
			}
			wg.Wait()
			okCount, refused := 0, 0
			for _, r := range statuses {
				switch r.Status {
				case 200:
					okCount++
				case 429:
					refused++
					if r.errCode(t) != "quota_exceeded" {
						t.Fatalf("429 with %s", r.Body)
					}
					after, err := strconv.ParseFloat(r.Header.Get("Retry-After"), 64)
					if err != nil || math.Abs(after-secondsToNextMonth()) > 60 {
						t.Fatalf("Retry-After %q, want about %.0f s (the month's end)", r.Header.Get("Retry-After"), secondsToNextMonth())
					}
				default:
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
			}
			if okCount != 5 || refused != 7 {
				t.Fatalf("%d admitted and %d refused, want 5 and 7", okCount, refused)
			}
			r := s.do("GET", "/api/plan", nil, auth...)
			expect(t, r, 200, "")
			if st := r.json(t); st["plan"].(map[string]any)["name"] != "tiny" || st["month"].(map[string]any)["invocations"] != 5.0 {
				t.Fatalf("plan status %s", r.Body)
			}
			// Async calls are refused before they are queued; the HTTP
			// trigger too.
			expect(t, s.do("POST", "/api/functions/ok/invoke", nil, append(auth, "X-Invocation-Type", "async")...), 429, "quota_exceeded")
			waitFor(t, 10*time.Second, "usage metered", func() bool { return total(s.usageOf(auth, ""), "invocations") == 5 })
			waitFor(t, 10*time.Second, "quota.exceeded delivered", func() bool { return len(hook.ofType("quota.exceeded")) > 0 })
			time.Sleep(200 * time.Millisecond)
			if n := len(hook.ofType("quota.exceeded")); n != 1 {
				t.Fatalf("%d quota.exceeded events for 8 refusals, want 1", n)
			}
			ev := hook.ofType("quota.exceeded")[0].event(t)

			s.stop()
			s = startServer(t, dir, dbURL, env)
			expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 429, "quota_exceeded")
			if data := ev["data"].(map[string]any); data["limit"] != "monthly_invocations" || data["value"] != 5.0 || data["plan"] != "tiny" {
				t.Fatalf("quota.exceeded %v", ev)
			}

			// The operator lifts the limit.
			r = s.do("GET", "/api/admin/accounts", nil, admin...)
			expect(t, r, 200, "")
			var customerID string
			for _, it := range r.json(t)["items"].([]any) {
				if a := it.(map[string]any); a["email"] == "customer@example.com" {
					customerID = a["id"].(string)
					if a["plan"] != "tiny" || a["assigned_plan"] != "" {
						t.Fatalf("account %v", a)
					}
				}
			}
			expect(t, s.do("PUT", "/api/admin/accounts/"+customerID+"/plan", map[string]any{"plan": "gold"}, admin...), 400, "validation_failed")
			expect(t, s.do("PUT", "/api/admin/accounts/"+customerID+"/plan", map[string]any{"plan": "unlimited"}, auth...), 403, "forbidden")
			r = s.do("PUT", "/api/admin/accounts/"+customerID+"/plan", map[string]any{"plan": "unlimited"}, admin...)
			expect(t, r, 200, "")
			if r.json(t)["plan"] != "unlimited" {
				t.Fatalf("set plan: %s", r.Body)
			}
			expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 200, "")
		})
	}
}

// TestConcurrencyQuota: an account limited to 2 concurrent executions
// never runs more, across its functions; the rest get 429 with
// Retry-After: 1.
func TestConcurrencyQuota(t *testing.T) {
	s, _, auth := billingServer(t, "", "", plansEnv(`{"duo": {"max_concurrent_executions": 2}}`, "duo"))
	for _, name := range []string{"slow-a", "slow-b"} {
		s.deploy(auth, map[string]any{"name": name, "runtime": "nodejs", "code": sleepy, "max_concurrency": 10})
	}
	for round := range 2 { // cold, then warm
		results := make([]*response, 8)
		var wg sync.WaitGroup
		for i := range results {
			name := []string{"slow-a", "slow-b"}[i%2]
			wg.Go(func() { results[i] = s.do("POST", "/api/functions/"+name+"/invoke", nil, auth...) })
		}
		wg.Wait()
		type span struct{ start, end time.Time }
		var spans []span
		for _, r := range results {
			switch r.Status {
			case 200:
				e := s.waitExecution(auth, r.json(t)["execution_id"].(string), 10*time.Second, func(e map[string]any) bool { return e["status"] == "succeeded" })
				start, _ := time.Parse(time.RFC3339Nano, e["started_at"].(string))
				end, _ := time.Parse(time.RFC3339Nano, e["finished_at"].(string))
				spans = append(spans, span{start, end})
			case 429:
				if r.errCode(t) != "quota_exceeded" || r.Header.Get("Retry-After") != "1" {
					t.Fatalf("429: %s (Retry-After %q)", r.Body, r.Header.Get("Retry-After"))
				}
			default:
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
		if len(spans) == 0 || len(spans) > 2 {
			t.Fatalf("round %d: %d calls ran, want 1 or 2", round, len(spans))
		}
		for i, a := range spans { // every pair that overlaps counts; 2 at most run
			overlap := 1
			for j, b := range spans {
				if i != j && a.start.Before(b.end) && b.start.Before(a.end) {
					overlap++
				}
			}
			if overlap > 2 {
				t.Fatalf("round %d: %d executions overlapped", round, overlap)
			}
		}
	}
}

// TestRateLimits: per-account and per-key token buckets on the invoke
// paths answer 429 rate_limited with Retry-After.
func TestRateLimits(t *testing.T) {
	s, _, auth := billingServer(t, "", "", plansEnv(
		`{"slow": {"requests_per_second": 0.1, "burst": 3, "key_requests_per_second": 0.1, "key_burst": 1}}`, "slow"))
	s.deploy(auth, map[string]any{"name": "ok", "runtime": "nodejs", "code": okNode})
	r := s.do("POST", "/api/keys", map[string]any{"name": "inv", "scopes": []string{"functions:invoke"}}, auth...)
	expect(t, r, 201, "")
	key := r.json(t)["key"].(string)
	expect(t, s.do("POST", "/fn/ok", nil, "X-API-Key", key), 200, "")
	r = s.do("POST", "/fn/ok", nil, "X-API-Key", key) // the key's bucket is empty
	expect(t, r, 429, "rate_limited")
	if r.Header.Get("Retry-After") != "10" {
		t.Fatalf("Retry-After %q, want 10 (a token every 10 s)", r.Header.Get("Retry-After"))
	}
	expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 200, "") // the account has tokens left
	expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 200, "")
	expect(t, s.do("POST", "/api/functions/ok/invoke", nil, auth...), 429, "rate_limited")
}

// TestFunctionLimits: max_functions and max_memory_mb on create and patch.
func TestFunctionLimits(t *testing.T) {
	s, admin, auth := billingServer(t, "", "", plansEnv(`{"small": {"max_functions": 2, "max_memory_mb": 256}}`, "small"))
	fn := func(name string, mem int) map[string]any {
		return map[string]any{"name": name, "runtime": "nodejs", "code": okNode, "memory_mb": mem}
	}
	expect(t, s.do("POST", "/api/functions", fn("big", 512), auth...), 429, "quota_exceeded")
	s.deploy(auth, fn("one", 256))
	s.deploy(auth, fn("two", 128))
	r := s.do("POST", "/api/functions", fn("three", 128), auth...)
	expect(t, r, 429, "quota_exceeded")
	if r.Header.Get("Retry-After") != "" {
		t.Fatalf("Retry-After %q on a limit that waiting does not lift", r.Header.Get("Retry-After"))
	}
	expect(t, s.do("PATCH", "/api/functions/two", map[string]any{"memory_mb": 1024}, auth...), 429, "quota_exceeded")
	expect(t, s.do("PATCH", "/api/functions/two", map[string]any{"description": "fine"}, auth...), 200, "")
	expect(t, s.do("DELETE", "/api/functions/one", nil, auth...), 204, "")
	s.deploy(auth, fn("three", 128))
	s.deploy(admin, fn("admins-are-unlimited", 4096))
	r = s.do("GET", "/api/admin/plans", nil, admin...)
	expect(t, r, 200, "")
	if p := r.json(t); p["default_plan"] != "small" || len(p["items"].([]any)) != 3 {
		t.Fatalf("plans %s", r.Body)
	}
}
