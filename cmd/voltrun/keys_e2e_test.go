package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAPIKeys: scopes are enforced on every route, revocation is immediate,
// expired keys are refused, and a key cannot mint a stronger key.
func TestAPIKeys(t *testing.T) {
	s := startServer(t, "", "", nil)
	tok := s.register("kay@example.com")
	newKey := func(cred []string, scopes []string, extra map[string]any) *response {
		body := map[string]any{"name": "k", "scopes": scopes}
		for k, v := range extra {
			body[k] = v
		}
		return s.do("POST", "/api/keys", body, cred...)
	}
	r := newKey(bearer(tok), []string{"functions:read"}, nil)
	expect(t, r, 201, "")
	created := r.json(t)
	readKey := created["key"].(string)
	if !strings.HasPrefix(readKey, "vr_") || len(readKey) < 40 || !strings.HasPrefix(readKey, created["prefix"].(string)) {
		t.Fatalf("key %q, prefix %v", readKey, created["prefix"])
	}
	r = newKey(bearer(tok), []string{"functions:read", "functions:write", "keys:write"}, nil)
	expect(t, r, 201, "")
	adminKey := r.json(t)["key"].(string)

	// The secret is never shown again.
	r = s.do("GET", "/api/keys", nil, bearer(tok)...)
	expect(t, r, 200, "")
	if strings.Contains(string(r.Body), readKey) || strings.Contains(string(r.Body), `"key"`) || strings.Contains(string(r.Body), "hash") {
		t.Fatalf("list leaks secrets: %s", r.Body)
	}

	// Out of scope: 403, on every route class.
	fnBody := map[string]any{"name": "f", "runtime": "nodejs", "code": helloNode}
	expect(t, s.do("GET", "/api/functions", nil, "X-API-Key", readKey), 200, "")
	expect(t, s.do("GET", "/api/functions", nil, bearer(readKey)...), 200, "")
	expect(t, s.do("POST", "/api/functions", fnBody, "X-API-Key", readKey), 403, "forbidden")
	expect(t, s.do("GET", "/api/keys", nil, "X-API-Key", readKey), 403, "forbidden")
	expect(t, s.do("POST", "/api/functions", fnBody, "X-API-Key", adminKey), 201, "")
	expect(t, s.do("PATCH", "/api/functions/f", map[string]any{"memory_mb": 256}, "X-API-Key", readKey), 403, "forbidden")
	expect(t, s.do("DELETE", "/api/functions/f", nil, "X-API-Key", readKey), 403, "forbidden")

	// No escalation: a key with keys:write cannot grant what it lacks.
	r = newKey([]string{"X-API-Key", adminKey}, []string{"functions:invoke"}, nil)
	expect(t, r, 400, "validation_failed")
	expect(t, newKey([]string{"X-API-Key", adminKey}, []string{"functions:read"}, nil), 201, "")
	expect(t, newKey(bearer(tok), []string{"everything"}, nil), 400, "validation_failed")
	expect(t, newKey(bearer(tok), []string{}, nil), 400, "validation_failed")
	expect(t, newKey(bearer(tok), []string{"functions:read"}, map[string]any{"expires_at": time.Now().Add(-time.Hour)}), 400, "validation_failed")

	// Revocation is effective on the very next request.
	r = s.do("GET", "/api/keys", nil, bearer(tok)...)
	var readID string
	for _, it := range r.json(t)["items"].([]any) {
		k := it.(map[string]any)
		if strings.HasPrefix(readKey, k["prefix"].(string)) {
			readID = k["id"].(string)
			if k["last_used_at"] == nil {
				t.Fatalf("last_used_at not shown after use: %v", k)
			}
		}
	}
	expect(t, s.do("DELETE", "/api/keys/"+readID, nil, bearer(tok)...), 204, "")
	expect(t, s.do("GET", "/api/functions", nil, "X-API-Key", readKey), 401, "unauthorized")
	expect(t, s.do("DELETE", "/api/keys/"+readID, nil, bearer(tok)...), 404, "not_found")

	// Another user cannot revoke or see my keys.
	other := s.register("other@example.com")
	r = s.do("GET", "/api/keys", nil, bearer(tok)...)
	someID := r.json(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	expect(t, s.do("DELETE", "/api/keys/"+someID, nil, bearer(other)...), 404, "not_found")
	r = s.do("GET", "/api/keys", nil, bearer(other)...)
	if n := len(r.json(t)["items"].([]any)); n != 0 {
		t.Fatalf("other user sees %d keys", n)
	}

	// Expiry is enforced.
	r = newKey(bearer(tok), []string{"functions:read"}, map[string]any{"expires_at": time.Now().Add(1200 * time.Millisecond)})
	expect(t, r, 201, "")
	shortKey := r.json(t)["key"].(string)
	expect(t, s.do("GET", "/api/functions", nil, "X-API-Key", shortKey), 200, "")
	time.Sleep(1300 * time.Millisecond)
	expect(t, s.do("GET", "/api/functions", nil, "X-API-Key", shortKey), 401, "unauthorized")
}

// TestServerBasics: health, metrics, the OpenAPI document, request ids.
func TestServerBasics(t *testing.T) {
	s := startServer(t, "", "", nil)
	r := s.do("GET", "/health", nil)
	expect(t, r, 200, "")
	h := r.json(t)
	if h["status"] != "ok" || h["checks"].(map[string]any)["database"] != "ok" || h["version"] == "" {
		t.Fatalf("health: %s", r.Body)
	}
	if id := r.Header.Get("X-Request-Id"); len(id) < 16 {
		t.Fatalf("no request id: %q", id)
	}
	r = s.do("GET", "/api/auth/me", nil, "X-Request-Id", "trace-me-123")
	expect(t, r, 401, "unauthorized")
	if r.Header.Get("X-Request-Id") != "trace-me-123" || r.json(t)["error"].(map[string]any)["request_id"] != "trace-me-123" {
		t.Fatalf("request id not carried: %v %s", r.Header, r.Body)
	}
	s.do("POST", "/api/auth/login", []byte(`{}`))
	r = s.do("GET", "/metrics", nil)
	expect(t, r, 200, "")
	counters := regexp.MustCompile(`(?m)^voltrun_http_requests_total.*$`).FindAllString(string(r.Body), -1)
	for _, want := range []string{
		`voltrun_http_requests_total{method="GET",route="/api/auth/me",status="401"} 1`,
		`voltrun_http_requests_total{method="POST",route="/api/auth/login",status="400"} 1`,
	} {
		if !strings.Contains(string(r.Body), want) {
			t.Fatalf("metrics lack %s:\n%s", want, strings.Join(counters, "\n"))
		}
	}
	// Labels are copied out of the request: fasthttp reuses its buffers.
	for _, m := range regexp.MustCompile(`method="([^"]*)"`).FindAllStringSubmatch(strings.Join(counters, "\n"), -1) {
		if !slices.Contains([]string{"GET", "POST"}, m[1]) {
			t.Fatalf("metrics carry method %q", m[1])
		}
	}
	r = s.do("GET", "/api/openapi.json", nil)
	expect(t, r, 200, "")
	if r.json(t)["openapi"] != "3.1.0" {
		t.Fatalf("openapi: %.200s", r.Body)
	}
}

// TestCORS: the configured dashboard origin may call the API from a
// browser; other origins get no CORS grant.
func TestCORS(t *testing.T) {
	s := startServer(t, "", "", map[string]string{"VOLTRUN_CORS_ORIGINS": "http://localhost:3000"})
	r := s.do("OPTIONS", "/api/functions", nil, "Origin", "http://localhost:3000",
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(strings.ToLower(r.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Fatalf("preflight from the dashboard origin: %d %v", r.Status, r.Header)
	}
	r = s.do("GET", "/health", nil, "Origin", "http://evil.example")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("another origin was granted CORS: %q", got)
	}
}
