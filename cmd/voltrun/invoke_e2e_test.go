package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fnServer starts a server that can run functions, with one user.
func fnServer(t *testing.T, env map[string]string) (*testServer, []string) {
	t.Helper()
	requireSandbox(t)
	s := startServer(t, "", "", env)
	return s, bearer(s.register("fn@example.com"))
}

// deploy creates a function and fails the test if that is refused.
func (s *testServer) deploy(auth []string, body map[string]any) {
	s.t.Helper()
	expect(s.t, s.do("POST", "/api/functions", body, auth...), 201, "")
}

func (s *testServer) invoke(auth []string, name string, event any) map[string]any {
	s.t.Helper()
	r := s.do("POST", "/api/functions/"+name+"/invoke", event, auth...)
	expect(s.t, r, 200, "")
	return r.json(s.t)
}

const nodeEcho = `
exports.handler = async (event, context) => {
  console.log("hello from node", event.n);
  console.error("to stderr");
  return {
    n: event.n, env: process.env.GREETING, secret: process.env.VOLTRUN_JWT_SECRET ?? null,
    name: context.functionName, version: context.functionVersion, id: context.awsRequestId,
    mem: context.memoryLimitInMB, remaining: context.getRemainingTimeInMillis(),
  };
};`

const pythonEcho = `
import os
def handler(event, context):
    print("hello from python", event["n"])
    return {"n": event["n"], "env": os.environ.get("GREETING"), "secret": os.environ.get("VOLTRUN_JWT_SECRET"),
            "name": context.function_name, "version": context.function_version, "id": context.aws_request_id,
            "mem": context.memory_limit_in_mb, "remaining": context.get_remaining_time_in_millis()}
`

// TestInvokeRuntimes: both runtimes get the event, context and env, print
// captured logs, are warm on the second call, and are recorded.
func TestInvokeRuntimes(t *testing.T) {
	s, auth := fnServer(t, map[string]string{"VOLTRUN_JWT_SECRET": testSecret})
	for _, c := range []struct{ runtime, code, log string }{
		{"nodejs", nodeEcho, "hello from node 1\nto stderr\n"},
		{"python", pythonEcho, "hello from python 1\n"},
	} {
		t.Run(c.runtime, func(t *testing.T) {
			name := "echo-" + c.runtime
			s.deploy(auth, map[string]any{
				"name": name, "runtime": c.runtime, "code": c.code, "memory_mb": 192,
				"env": map[string]string{"GREETING": "hi"},
			})
			first := s.invoke(auth, name, map[string]any{"n": 1})
			if first["status"] != "succeeded" || first["cold_start"] != true || first["version"] != "$LATEST" {
				t.Fatalf("first call: %v", first)
			}
			res := first["result"].(map[string]any)
			if res["n"] != 1.0 || res["env"] != "hi" || res["secret"] != nil || res["name"] != name ||
				res["version"] != "$LATEST" || res["id"] != first["execution_id"] || fmt.Sprint(res["mem"]) != "192" {
				t.Fatalf("event/context/env wrong: %v", res)
			}
			if r := res["remaining"].(float64); r <= 0 || r > 10000 {
				t.Fatalf("remaining time %v", r)
			}
			// Order is exact within a stream; across stdout and stderr it
			// is as the host read the two pipes (sandbox.LogSink).
			if logs, _ := first["logs"].(string); !sameLines(logs, c.log) {
				t.Fatalf("logs %q, want %q", logs, c.log)
			}
			second := s.invoke(auth, name, map[string]any{"n": 2})
			if second["cold_start"] != false || second["result"].(map[string]any)["n"] != 2.0 {
				t.Fatalf("second call not warm: %v", second)
			}
			r := s.do("GET", "/api/executions/"+first["execution_id"].(string), nil, auth...)
			expect(t, r, 200, "")
			e := r.json(t)
			if e["status"] != "succeeded" || e["logs"] != first["logs"] || e["input"].(map[string]any)["n"] != 1.0 || e["billed_ms"].(float64) < 1 {
				t.Fatalf("execution record: %s", r.Body)
			}
		})
	}
	// The records reach the database in a batch and list newest first.
	r := s.do("GET", "/api/functions/echo-nodejs/executions?limit=10", nil, auth...)
	expect(t, r, 200, "")
	items := r.json(t)["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["cold_start"] != false {
		t.Fatalf("executions list: %s", r.Body)
	}
}

// TestInvokeFailures: handler errors are HTTP 200 with status failed and a
// structured error; the platform stays up, and /metrics counts the
// instances the failures cost.
func TestInvokeFailures(t *testing.T) {
	s, auth := fnServer(t, nil)
	cases := []struct {
		name, runtime, code, status, reason, errType string
		timeout                                      int
	}{
		{"throws", "nodejs", `exports.handler = async () => { throw new TypeError("bad input"); };`, "failed", "error", "TypeError", 0},
		{"syntax", "nodejs", `exports.handler = async () => {`, "failed", "syntax_error", "", 0},
		{"no-handler", "nodejs", `exports.other = () => 1;`, "failed", "handler_not_found", "", 0},
		{"exits", "nodejs", `exports.handler = () => process.exit(3);`, "failed", "exit_code:3", "", 0},
		{"py-raises", "python", "def handler(e, c):\n    raise ValueError('nope')\n", "failed", "error", "ValueError", 0},
		{"py-set", "python", "def handler(e, c):\n    return {1, 2}\n", "failed", "non_serialisable", "", 0},
		{"spins", "nodejs", `exports.handler = () => { for (;;) {} };`, "timeout", "timeout", "", 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"name": c.name, "runtime": c.runtime, "code": c.code}
			if c.timeout > 0 {
				body["timeout_ms"] = c.timeout
			}
			s.deploy(auth, body)
			res := s.invoke(auth, c.name, map[string]any{})
			if res["status"] != c.status || res["reason"] != c.reason || res["result"] != nil {
				t.Fatalf("got %v", res)
			}
			e, _ := res["error"].(map[string]any)
			if c.errType != "" && (e == nil || e["type"] != c.errType || e["message"] == "") {
				t.Fatalf("error %v, want type %s", e, c.errType)
			}
		})
	}
	// The instances that died or never loaded are counted by why, once each.
	for reason, want := range map[string]int{"crash": 1, "timeout": 1, "load_failed": 2} {
		if got := metricValue(t, s, "voltrun_instances_retired_total", `reason="`+reason+`"`); got != want {
			t.Errorf("%d instances retired for %s, want %d", got, reason, want)
		}
	}
	s.deploy(auth, map[string]any{"name": "fine", "runtime": "python", "code": "def handler(e, c):\n    return 'ok'\n"})
	if res := s.invoke(auth, "fine", nil); res["result"] != "ok" {
		t.Fatalf("server stopped serving after failures: %v", res)
	}
	expect(t, s.do("POST", "/api/functions/fine/invoke", "{not json", auth...), 400, "invalid_request")
	expect(t, s.do("POST", "/api/functions/fine/invoke?qualifier=7", nil, auth...), 404, "not_found")
	expect(t, s.do("POST", "/api/functions/nope/invoke", nil, auth...), 404, "not_found")
	other := bearer(s.register("other-fn@example.com"))
	expect(t, s.do("POST", "/api/functions/fine/invoke", nil, other...), 404, "not_found")
}

// TestConcurrencyCap: calls past a function's max_concurrency get 429.
func TestConcurrencyCap(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{
		"name": "slow", "runtime": "nodejs", "max_concurrency": 2,
		"code": `exports.handler = () => new Promise(r => setTimeout(() => r("done"), 1500));`,
	})
	var wg sync.WaitGroup
	statuses := make([]int, 5)
	for i := range statuses {
		wg.Go(func() { statuses[i] = s.do("POST", "/api/functions/slow/invoke", nil, auth...).Status })
	}
	wg.Wait()
	ok, limited := 0, 0
	for _, st := range statuses {
		switch st {
		case 200:
			ok++
		case 429:
			limited++
		}
	}
	if ok != 2 || limited != 3 {
		t.Fatalf("statuses %v: want 2×200 and 3×429", statuses)
	}
}

// TestHTTPTrigger: function-URL events in, {statusCode, headers, body} out,
// binary bodies both ways, public functions without a key.
func TestHTTPTrigger(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{"name": "web", "runtime": "nodejs", "code": `
exports.handler = async (event) => {
  if (event.rawPath === "/bin") {
    const got = Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
    return { statusCode: 201, headers: { "content-type": "application/octet-stream" },
             body: Buffer.from(got.reverse()).toString("base64"), isBase64Encoded: true };
  }
  if (event.rawPath === "/plain") return { hello: "json" };
  return { statusCode: 200, headers: { "content-type": "text/plain", "x-seen-auth": String(event.headers.authorization ?? "none") },
           body: event.requestContext.http.method + " " + event.rawPath + "?" + event.rawQueryString + " " + (event.body ?? "") };
};`})
	key := s.do("POST", "/api/keys", map[string]any{"name": "inv", "scopes": []string{"functions:invoke"}}, auth...).json(t)["key"].(string)
	r := s.do("PUT", "/fn/web/some/path?a=1&b=2", "payload", "X-API-Key", key, "Content-Type", "text/plain")
	expect(t, r, 200, "")
	if string(r.Body) != "PUT /some/path?a=1&b=2 payload" || r.Header.Get("X-Seen-Auth") != "none" {
		t.Fatalf("text round trip: %q %v", r.Body, r.Header)
	}
	bin := []byte{0, 1, 2, 0xff, 0xfe}
	r = s.do("POST", "/fn/web/bin", bin, "X-API-Key", key, "Content-Type", "application/octet-stream")
	expect(t, r, 201, "")
	if !bytes.Equal(r.Body, []byte{0xfe, 0xff, 2, 1, 0}) {
		t.Fatalf("binary round trip: %v", r.Body)
	}
	r = s.do("GET", "/fn/web/plain", nil, "X-API-Key", key)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.Body), `"hello":"json"`) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("plain value: %s", r.Body)
	}
	expect(t, s.do("GET", "/fn/web", nil), 404, "not_found")
	readKey := s.do("POST", "/api/keys", map[string]any{"name": "ro", "scopes": []string{"functions:read"}}, auth...).json(t)["key"].(string)
	expect(t, s.do("GET", "/fn/web", nil, "X-API-Key", readKey), 403, "forbidden")
	expect(t, s.do("PATCH", "/api/functions/web", map[string]any{"public": true}, auth...), 200, "")
	r = s.do("GET", "/fn/web/x", nil)
	expect(t, r, 200, "")
	if !strings.HasPrefix(string(r.Body), "GET /x?") {
		t.Fatalf("public call: %s", r.Body)
	}
	// Another owner cannot claim a public name that is taken.
	other := bearer(s.register("squatter@example.com"))
	expect(t, s.do("POST", "/api/functions", map[string]any{"name": "web", "runtime": "nodejs", "code": helloNode, "public": true}, other...), 409, "conflict")
}

// TestExecutionSurvivesShutdown: an answered call's record is written by a
// clean shutdown even when the batch interval has not passed.
func TestExecutionSurvivesShutdown(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "", nil)
	auth := bearer(s.register("shut@example.com"))
	s.deploy(auth, map[string]any{"name": "once", "runtime": "python", "code": "def handler(e, c):\n    print('bye')\n    return 42\n"})
	id := s.invoke(auth, "once", nil)["execution_id"].(string)
	s.stop()
	s2 := startServer(t, dir, "", nil)
	r := s2.do("GET", "/api/executions/"+id, nil, auth...)
	expect(t, r, 200, "")
	if e := r.json(t); e["output"] != 42.0 || e["logs"] != "bye\n" {
		t.Fatalf("record after restart: %s", r.Body)
	}
}

// sameLines reports whether a and b hold the same lines in any order.
func sameLines(a, b string) bool {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
