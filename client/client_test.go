package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/client"
)

// recorded is one request the fake server saw.
type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

// fakeServer answers each "METHOD /path" from routes with a status and a
// body, and records what it was sent.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []recorded
}

type answer struct {
	status int
	body   string
	header map[string]string
}

func newFake(t *testing.T, routes map[string]answer) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(b)})
		f.mu.Unlock()
		a, ok := routes[r.Method+" "+r.URL.EscapedPath()]
		if !ok {
			a = answer{404, `{"error":{"code":"not_found","message":"no such route"}}`, nil}
		}
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		t.Fatal("no request was sent")
	}
	return f.seen[len(f.seen)-1]
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	c, err := client.New(" https://example.com/voltrun/ ")
	if err != nil || c.BaseURL() != "https://example.com/voltrun" {
		t.Fatalf("New: %v %v", c, err)
	}
}

func TestCredentials(t *testing.T) {
	f := newFake(t, map[string]answer{"GET /api/auth/me": {200, `{"id":"u1","email":"a@b.c"}`, nil}})
	for _, c := range []struct {
		name       string
		opts       []client.Option
		auth, xkey string
	}{
		{"token", []client.Option{client.WithToken("jwt")}, "Bearer jwt", ""},
		{"key wins", []client.Option{client.WithToken("jwt"), client.WithAPIKey("vr_k")}, "", "vr_k"},
		{"none", nil, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, err := client.New(f.URL, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			u, err := cl.Me(context.Background())
			if err != nil || u.Email != "a@b.c" {
				t.Fatalf("Me: %v %v", u, err)
			}
			h := f.last(t).header
			if h.Get("Authorization") != c.auth || h.Get("X-API-Key") != c.xkey {
				t.Fatalf("sent Authorization %q X-API-Key %q", h.Get("Authorization"), h.Get("X-API-Key"))
			}
		})
	}
}

func TestErrorsAreTyped(t *testing.T) {
	f := newFake(t, map[string]answer{
		"POST /api/functions": {400, `{"error":{"code":"validation_failed","message":"one or more fields are invalid",` +
			`"fields":{"name":"is required","memory_mb":"must be between 64 and 4096"},"request_id":"r1"}}`, nil},
		"GET /api/functions/x": {404, `{"error":{"code":"not_found","message":"function not found"}}`, nil},
		"GET /api/keys":        {429, `{"error":{"code":"rate_limited","message":"slow down"}}`, map[string]string{"Retry-After": "3"}},
		"GET /api/auth/me":     {502, `<html>bad gateway</html>`, nil},
	})
	c, _ := client.New(f.URL, client.WithToken("t"))
	ctx := context.Background()

	_, err := c.CreateFunction(ctx, client.FunctionSpec{})
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 400 || e.Code != client.CodeValidation || e.RequestID != "r1" || len(e.Fields) != 2 {
		t.Fatalf("validation error: %#v", err)
	}
	want := "one or more fields are invalid: memory_mb: must be between 64 and 4096; name: is required (HTTP 400 validation_failed)"
	if e.Error() != want {
		t.Fatalf("Error() = %q, want %q", e.Error(), want)
	}

	_, err = c.GetFunction(ctx, "x")
	if !client.IsNotFound(err) || client.IsMissingRoute(err) {
		t.Fatalf("not found: %v", err)
	}
	_, err = c.ListVersions(ctx, "x", client.ListOptions{})
	if !client.IsMissingRoute(err) {
		t.Fatalf("missing route: %v", err)
	}
	_, err = c.ListKeys(ctx, client.ListOptions{})
	if !errors.As(err, &e) || e.Code != client.CodeRateLimited || e.RetryAfter != 3*time.Second {
		t.Fatalf("rate limited: %#v", err)
	}
	_, err = c.Me(ctx)
	if !errors.As(err, &e) || e.Status != 502 || e.Code != "" || !strings.Contains(e.Message, "Bad Gateway: <html>") {
		t.Fatalf("foreign error body: %#v", err)
	}
}

func TestRequestsFollowTheContract(t *testing.T) {
	f := newFake(t, map[string]answer{
		"POST /api/functions":                   {201, `{"id":"f1","name":"hello"}`, nil},
		"PATCH /api/functions/hello":            {200, `{"id":"f1","name":"hello"}`, nil},
		"GET /api/functions":                    {200, `{"items":[{"name":"a"},{"name":"b"}],"next_cursor":"c2"}`, nil},
		"DELETE /api/functions/a%2Fb":           {204, ``, nil},
		"POST /api/functions/hello/invoke":      {200, `{"execution_id":"e1","status":"succeeded","result":{"ok":true}}`, nil},
		"GET /api/functions/hello/executions":   {200, `{"items":[{"id":"e1","logs":"hi\n"}]}`, nil},
		"POST /api/functions/hello/versions":    {201, `{"version":2,"code_sha256":"abc"}`, nil},
		"PUT /api/functions/hello/aliases/prod": {200, `{"name":"prod","version":2,"routing":{"version":3,"weight":0.1}}`, nil},
		"GET /api/usage":                        {200, `{"totals":{"invocations":3,"gb_seconds":0.5},"series":[]}`, nil},
		"POST /api/keys":                        {201, `{"id":"k1","key":"vr_secret","scopes":["functions:read"]}`, nil},
	})
	c, _ := client.New(f.URL, client.WithToken("t"))
	ctx := context.Background()
	type check struct {
		name                string
		run                 func() error
		method, path, query string
		body                string // exact JSON sent, "" for none
	}
	public := false
	checks := []check{
		{"create", func() error {
			_, err := c.CreateFunction(ctx, client.FunctionSpec{Name: "hello", Runtime: "nodejs", Archive: []byte("PK"), Public: &public})
			return err
		}, "POST", "/api/functions", "", `{"name":"hello","runtime":"nodejs","archive_base64":"UEs=","public":false}`},
		{"update clears env", func() error {
			_, err := c.UpdateFunction(ctx, "hello", client.FunctionSpec{MemoryMB: 256, Env: map[string]string{}})
			return err
		}, "PATCH", "/api/functions/hello", "", `{"memory_mb":256,"env":{}}`},
		{"list", func() error {
			l, err := c.ListFunctions(ctx, client.ListOptions{Limit: 2, Cursor: "c1"})
			if err == nil && (len(l.Items) != 2 || l.NextCursor != "c2") {
				err = errors.New("bad page")
			}
			return err
		}, "GET", "/api/functions", "cursor=c1&limit=2", ""},
		{"delete escapes", func() error { return c.DeleteFunction(ctx, "a/b") }, "DELETE", "/api/functions/a%2Fb", "", ""},
		{"invoke", func() error {
			inv, err := c.Invoke(ctx, "hello", nil, client.InvokeOptions{Qualifier: "prod"})
			if err == nil && string(inv.Result) != `{"ok":true}` {
				err = errors.New("bad result")
			}
			return err
		}, "POST", "/api/functions/hello/invoke", "qualifier=prod", `{}`},
		{"executions", func() error {
			_, err := c.ListExecutions(ctx, "hello", client.ExecutionListOptions{Status: "failed"})
			return err
		}, "GET", "/api/functions/hello/executions", "status=failed", ""},
		{"publish", func() error {
			v, err := c.PublishVersion(ctx, "hello", "first")
			if err == nil && v.Version != 2 {
				err = errors.New("bad version")
			}
			return err
		}, "POST", "/api/functions/hello/versions", "", `{"description":"first"}`},
		{"alias", func() error {
			a, err := c.SetAlias(ctx, "hello", "prod", client.AliasSpec{Version: 2, Routing: &client.AliasRouting{Version: 3, Weight: 0.1}})
			if err == nil && (a.Routing == nil || a.Routing.Version != 3) {
				err = errors.New("no routing")
			}
			return err
		}, "PUT", "/api/functions/hello/aliases/prod", "", `{"version":2,"routing":{"version":3,"weight":0.1}}`},
		{"usage", func() error {
			from := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			u, err := c.GetUsage(ctx, client.UsageOptions{From: from, Granularity: "day"})
			if err == nil && (u.Totals.Invocations != 3 || u.Totals.GBSeconds != 0.5) {
				err = errors.New("bad totals")
			}
			return err
		}, "GET", "/api/usage", "from=2025-01-02T03%3A04%3A05Z&granularity=day", ""},
		{"key", func() error {
			k, err := c.CreateKey(ctx, client.KeySpec{Name: "ci", Scopes: []string{"functions:read"}})
			if err == nil && k.Key != "vr_secret" {
				err = errors.New("no secret")
			}
			return err
		}, "POST", "/api/keys", "", `{"name":"ci","scopes":["functions:read"]}`},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(); err != nil {
				t.Fatal(err)
			}
			r := f.last(t)
			if r.method != c.method || r.path != c.path || r.query != c.query || r.body != c.body {
				t.Fatalf("sent %s %s ?%s %s\nwant %s %s ?%s %s", r.method, r.path, r.query, r.body, c.method, c.path, c.query, c.body)
			}
			if c.body != "" && r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
			}
		})
	}
}

func TestAsyncInvokeSendsTheHeader(t *testing.T) {
	f := newFake(t, map[string]answer{"POST /api/functions/hello/invoke": {202, `{"execution_id":"e9","status":"queued"}`, nil}})
	c, _ := client.New(f.URL)
	inv, err := c.Invoke(context.Background(), "hello", json.RawMessage(`{"n":1}`), client.InvokeOptions{Async: true})
	if err != nil || inv.Status != "queued" || inv.ExecutionID != "e9" {
		t.Fatalf("async: %v %v", inv, err)
	}
	if r := f.last(t); r.header.Get("X-Invocation-Type") != "async" || r.body != `{"n":1}` {
		t.Fatalf("sent %v %s", r.header, r.body)
	}
}

func TestUploadProgress(t *testing.T) {
	f := newFake(t, map[string]answer{"POST /api/functions": {201, `{"id":"f1"}`, nil}})
	c, _ := client.New(f.URL)
	var last, total int64
	calls := 0
	ctx := client.WithUploadProgress(context.Background(), func(sent, all int64) { last, total, calls = sent, all, calls+1 })
	archive := []byte(strings.Repeat("x", 200<<10))
	if _, err := c.CreateFunction(ctx, client.FunctionSpec{Name: "big", Archive: archive}); err != nil {
		t.Fatal(err)
	}
	if calls < 2 || last != total || total != int64(len(f.last(t).body)) {
		t.Fatalf("progress: %d calls, last %d of %d (body %d)", calls, last, total, len(f.last(t).body))
	}
}

func TestFunctionExists(t *testing.T) {
	f := newFake(t, map[string]answer{
		"HEAD /api/functions/there": {200, ``, nil},
		"HEAD /api/functions/gated": {401, ``, nil},
	})
	c, _ := client.New(f.URL)
	ctx := context.Background()
	for name, want := range map[string]bool{"there": true, "missing": false} {
		if got, err := c.FunctionExists(ctx, name); err != nil || got != want {
			t.Errorf("FunctionExists(%s) = %v, %v", name, got, err)
		}
	}
	if _, err := c.FunctionExists(ctx, "gated"); err == nil {
		t.Error("a 401 is an error, not absence")
	}
}
