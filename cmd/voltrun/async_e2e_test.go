package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// async enqueues a call and returns its execution id.
func (s *testServer) async(auth []string, name string, event any) string {
	s.t.Helper()
	r := s.do("POST", "/api/functions/"+name+"/invoke", event, append(auth, "X-Invocation-Type", "async")...)
	expect(s.t, r, 202, "")
	body := r.json(s.t)
	id, _ := body["execution_id"].(string)
	if body["status"] != "queued" || id == "" || r.Header.Get("Location") != "/api/executions/"+id {
		s.t.Fatalf("async answer %s (Location %q)", r.Body, r.Header.Get("Location"))
	}
	return id
}

// executions lists every execution of a function with the status ("" for
// all), following cursors.
func (s *testServer) executions(auth []string, name, status string) []map[string]any {
	s.t.Helper()
	var all []map[string]any
	cursor := ""
	for {
		q := url.Values{"limit": {"500"}, "cursor": {cursor}}
		if status != "" {
			q.Set("status", status)
		}
		r := s.do("GET", "/api/functions/"+name+"/executions?"+q.Encode(), nil, auth...)
		expect(s.t, r, 200, "")
		body := r.json(s.t)
		for _, it := range body["items"].([]any) {
			all = append(all, it.(map[string]any))
		}
		next, _ := body["next_cursor"].(string)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// waitExecution polls an execution until done says so, or fails the test.
func (s *testServer) waitExecution(auth []string, id string, timeout time.Duration, done func(map[string]any) bool) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := s.do("GET", "/api/executions/"+id, nil, auth...)
		if r.Status == 200 {
			if e := r.json(s.t); done(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("execution %s not done within %v: %s", id, timeout, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const countCode = `
exports.handler = async (event, context) => {
  console.log("call", event.n);
  return { n: event.n, id: context.awsRequestId };
};`

// TestAsyncThousandCalls: 1,000 queued calls each run and are recorded
// exactly once, as succeeded, under the id the API answered with, on both
// databases.
func TestAsyncThousandCalls(t *testing.T) {
	for name, db := range databases {
		t.Run(name, func(t *testing.T) {
			requireSandbox(t)
			s := startServer(t, "", db(t), map[string]string{"VOLTRUN_ASYNC_CONCURRENCY": "8"})
			thousandCalls(t, s, bearer(s.register("thousand@example.com")))
		})
	}
}

func thousandCalls(t *testing.T, s *testServer, auth []string) {
	s.deploy(auth, map[string]any{"name": "count", "runtime": "nodejs", "code": countCode, "max_concurrency": 8})
	// Concurrent clients leave connections the client dialled but never
	// used; fasthttp's shutdown waits for those until its timeout.
	t.Cleanup(http.DefaultClient.CloseIdleConnections)

	const n = 1000
	ids := make([]string, n)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				ids[i] = s.async(auth, "count", map[string]any{"n": i})
			}
		})
	}
	start := time.Now()
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	t.Logf("queued %d calls in %v", n, time.Since(start))

	// Right after the answer the execution is readable (queued, or further).
	if st := s.do("GET", "/api/executions/"+ids[n-1], nil, auth...).json(t)["status"]; st != "queued" && st != "running" && st != "succeeded" {
		t.Fatalf("just-queued execution is %v", st)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for len(s.executions(auth, "count", "succeeded")) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d calls succeeded within 5 minutes", len(s.executions(auth, "count", "succeeded")), n)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("all %d calls succeeded %v after the first was queued", n, time.Since(start))

	all := s.executions(auth, "count", "")
	if len(all) != n {
		t.Fatalf("%d executions recorded, want %d", len(all), n)
	}
	want := map[string]int{}
	for i, id := range ids {
		want[id] = i
	}
	for _, e := range all {
		id := e["id"].(string)
		if _, ok := want[id]; !ok {
			t.Fatalf("unexpected execution %v", e)
		}
		if e["status"] != "succeeded" || e["attempts"] != 1.0 || e["trigger"] != "async" {
			t.Fatalf("execution %v", e)
		}
		delete(want, id)
	}
	if len(want) != 0 {
		t.Fatalf("%d queued calls were never recorded", len(want))
	}
	for i := 0; i < n; i += 97 { // the recorded output is each call's own
		e := s.do("GET", "/api/executions/"+ids[i], nil, auth...).json(t)
		out := e["output"].(map[string]any)
		if out["n"] != float64(i) || out["id"] != ids[i] || e["logs"] != fmt.Sprintf("call %d\n", i) {
			t.Fatalf("execution %d: %v", i, e)
		}
	}
}

// TestAsyncDeadLetter: a handler that always throws runs the configured
// number of times, with backoff, then is dead-lettered, visible and
// filterable; live logs show the retries and end dead_lettered.
func TestAsyncDeadLetter(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{
		"name": "thrower", "runtime": "nodejs", "async_max_attempts": 3, "async_retry_base_ms": 200,
		"code": `exports.handler = async (event, context) => { console.log("try", context.awsRequestId); throw new Error("always"); };`,
	})
	fn := s.do("GET", "/api/functions/thrower", nil, auth...).json(t)
	if fn["async_max_attempts"] != 3.0 || fn["async_retry_base_ms"] != 200.0 {
		t.Fatalf("retry settings %v %v", fn["async_max_attempts"], fn["async_retry_base_ms"])
	}
	// Tail the function from before the call, to see every attempt.
	stream, _ := s.dialLogs(t, nil, "/api/functions/thrower/logs/stream", auth...)
	start := time.Now()
	id := s.async(auth, "thrower", map[string]any{"x": 1})
	var lines []string
	var end logMsg
	for end.Type == "" {
		m := next(t, stream, 30*time.Second)
		if m.ExecutionID != id {
			t.Fatalf("message of another execution: %+v", m)
		}
		if m.Type == "end" {
			end = m
		} else {
			lines = append(lines, m.Stream+": "+m.Line)
		}
	}
	if end.Status != "dead_lettered" || end.ExecutionID != id {
		t.Fatalf("end %+v", end)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{
		"stdout: try " + id, "system: attempt 1 of 3 ended failed; retrying in",
		"system: attempt 2 of 3 ended failed; retrying in", "system: dead-lettered after 3 attempts (error)",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("stream lacks %q:\n%s", want, text)
		}
	}
	if took := time.Since(start); took < (200+400)*8/10*time.Millisecond {
		t.Fatalf("three attempts took only %v: no backoff", took)
	}
	e := s.waitExecution(auth, id, 10*time.Second, func(e map[string]any) bool { return e["status"] == "dead_lettered" })
	fe, _ := e["error"].(map[string]any)
	if e["attempts"] != 3.0 || e["reason"] != "error" || fe["message"] != "always" || !strings.Contains(e["logs"].(string), "try "+id) {
		t.Fatalf("dead-lettered execution %v", e)
	}
	var listed []map[string]any
	for range 100 { // lists read the database, which the recorder writes within 100 ms
		if listed = s.executions(auth, "thrower", "dead_lettered"); len(listed) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(listed) != 1 || listed[0]["id"] != id {
		t.Fatalf("?status=dead_lettered listed %v", listed)
	}
	if got := s.executions(auth, "thrower", "failed"); len(got) != 0 {
		t.Fatalf("?status=failed listed %v", got)
	}
}

// TestAsyncValidation: async calls are validated like sync ones before
// anything is queued.
func TestAsyncValidation(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{"name": "val", "runtime": "nodejs", "code": countCode})
	async := append(auth, "X-Invocation-Type", "async")
	other := append(bearer(s.register("stranger@example.com")), "X-Invocation-Type", "async")
	invokeOnly := []string{"X-API-Key", s.key(auth, "functions:read"), "X-Invocation-Type", "async"}
	for _, c := range []struct {
		name, path string
		body       any
		headers    []string
		status     int
		code       string
	}{
		{"unknown function", "/api/functions/nope/invoke", nil, async, 404, "not_found"},
		{"another user's", "/api/functions/val/invoke", nil, other, 404, "not_found"},
		{"unknown qualifier", "/api/functions/val/invoke?qualifier=7", nil, async, 404, "not_found"},
		{"no invoke scope", "/api/functions/val/invoke", nil, invokeOnly, 403, "forbidden"},
		{"not JSON", "/api/functions/val/invoke", "{", async, 400, "invalid_request"},
		{"oversize", "/api/functions/val/invoke", `"` + strings.Repeat("x", 7<<20) + `"`, async, 413, "payload_too_large"},
		{"bad type", "/api/functions/val/invoke", nil, append(auth, "X-Invocation-Type", "later"), 400, "invalid_request"},
		{"bad retry settings", "/api/functions/val", map[string]any{"async_max_attempts": 0}, auth, 400, "validation_failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			method := "POST"
			if strings.HasSuffix(c.path, "/val") {
				method = "PATCH"
			}
			expect(t, s.do(method, c.path, c.body, c.headers...), c.status, c.code)
		})
	}
	if got := s.executions(auth, "val", ""); len(got) != 0 {
		t.Fatalf("refused calls were recorded: %v", got)
	}
	// A version qualifier is resolved when the call is queued.
	expect(t, s.do("POST", "/api/functions/val/versions", nil, auth...), 201, "")
	r := s.do("POST", "/api/functions/val/invoke?qualifier=1", map[string]any{"n": 5}, async...)
	expect(t, r, 202, "")
	id := r.json(t)["execution_id"].(string)
	e := s.waitExecution(auth, id, 30*time.Second, func(e map[string]any) bool { return e["status"] == "succeeded" })
	if e["version"] != "1" {
		t.Fatalf("queued call of version 1 ran %v", e["version"])
	}
}
