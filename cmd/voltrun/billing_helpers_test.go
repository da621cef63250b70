package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// waitFor polls cond every 50 ms until it holds, or fails t after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hookReceiver is a real webhook endpoint on 127.0.0.1: it answers with
// the next of its statuses (the last one once they run out) and keeps every
// request.
type hookReceiver struct {
	URL      string
	srv      *http.Server
	ln       net.Listener
	mu       sync.Mutex
	statuses []int
	got      []hookRequest
}

type hookRequest struct {
	Header http.Header
	Body   []byte
}

// event decodes the request body as an event.
func (r hookRequest) event(t testing.TB) map[string]any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(r.Body, &ev); err != nil {
		t.Fatalf("delivery body is not JSON: %v: %s", err, r.Body)
	}
	return ev
}

// newHookReceiver listens on addr ("127.0.0.1:0" for any port).
func newHookReceiver(t testing.TB, addr string, statuses ...int) *hookReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := &hookReceiver{URL: "http://" + ln.Addr().String() + "/hook", ln: ln, statuses: statuses}
	r.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, hookRequest{Header: req.Header.Clone(), Body: body})
		status := r.statuses[min(len(r.got), len(r.statuses))-1]
		r.mu.Unlock()
		w.WriteHeader(status)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

// ofType returns the requests carrying events of type typ.
func (r *hookReceiver) ofType(typ string) []hookRequest {
	var out []hookRequest
	for _, req := range r.requests() {
		if req.Header.Get("X-VoltRun-Event") == typ {
			out = append(out, req)
		}
	}
	return out
}

// freePort returns a 127.0.0.1 address nothing listens on (a receiver
// that is down).
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// usageOf reads GET /api/usage with the query.
func (s *testServer) usageOf(auth []string, query string) map[string]any {
	s.t.Helper()
	r := s.do("GET", "/api/usage?"+query, nil, auth...)
	expect(s.t, r, 200, "")
	return r.json(s.t)
}

// total reads a number from a usage answer's totals.
func total(u map[string]any, field string) float64 {
	v, _ := u["totals"].(map[string]any)[field].(float64)
	return v
}

// plansEnv configures plans for a test server: the JSON of plans, the
// default plan, and private webhook targets allowed (receivers are on
// 127.0.0.1).
func plansEnv(plans, defaultPlan string, extra ...string) map[string]string {
	env := map[string]string{"VOLTRUN_PLANS": plans, "VOLTRUN_DEFAULT_PLAN": defaultPlan, "VOLTRUN_WEBHOOK_ALLOW_PRIVATE": "true"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// secondsToNextMonth is what Retry-After says of a monthly quota now.
func secondsToNextMonth() float64 {
	now := time.Now().UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	return next.Sub(now).Seconds()
}

func asInt(v any) int { f, _ := v.(float64); return int(f) }

func str(v any) string { return fmt.Sprint(v) }
