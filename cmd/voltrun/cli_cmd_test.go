package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/fasthttp/websocket"
	"github.com/spf13/cobra"
)

// runCLI runs the client commands in-process, as `voltrun ARGS...`.
func runCLI(t *testing.T, env cliEnv, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := &cobra.Command{Use: "voltrun", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newCLI(env).commands()...)
	var out, errb bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

// fakeAPI answers "METHOD /path" with canned JSON; anything else gets the
// server's 404 for an unknown route.
func fakeAPI(t *testing.T, routes map[string]string, extra map[string]http.HandlerFunc) (*httptest.Server, *[]*http.Request) {
	t.Helper()
	var seen []*http.Request
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r)
		key := r.Method + " " + r.URL.Path
		if h, ok := extra[key]; ok {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		body, ok := routes[key]
		if !ok {
			w.WriteHeader(404)
			body = `{"error":{"code":"not_found","message":"no such route"}}`
		} else if status, rest, _ := strings.Cut(body, " "); !strings.HasPrefix(body, "{") {
			// "404 {...}": a status before the body.
			code, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("bad canned answer %q", body)
			}
			w.WriteHeader(code)
			body = rest
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s, &seen
}

func loggedIn(t *testing.T, url string) cliEnv {
	t.Helper()
	env := testEnv(t, nil)
	if _, err := env.saveConfig(&cliConfig{URL: url, Token: "tok"}); err != nil {
		t.Fatal(err)
	}
	return env
}

func TestLoginSavesTheSession(t *testing.T) {
	s, seen := fakeAPI(t, map[string]string{
		"POST /api/auth/login": `{"token":"jwt1","expires_at":"2999-01-01T00:00:00Z","user":{"email":"ada@example.com"}}`,
		"GET /api/auth/me":     `{"email":"ci@example.com"}`,
	}, nil)
	env := testEnv(t, nil)
	out, _, err := runCLI(t, env, "correct horse\n", "login", s.URL, "--email", "ada@example.com", "--password-stdin")
	if err != nil || !strings.Contains(out, "logged in to "+s.URL+" as ada@example.com") {
		t.Fatalf("login: %q %v", out, err)
	}
	cfg, _ := env.loadConfig()
	if cfg.URL != s.URL || cfg.Token != "jwt1" || cfg.TokenExpiresAt == nil {
		t.Fatalf("saved %+v", cfg)
	}
	out, _, err = runCLI(t, env, "", "login", s.URL, "--api-key", "vr_abc")
	if err != nil || !strings.Contains(out, "as ci@example.com (API key)") || (*seen)[len(*seen)-1].Header.Get("X-API-Key") != "vr_abc" {
		t.Fatalf("api key login: %q %v", out, err)
	}
	if cfg, _ = env.loadConfig(); cfg.APIKey != "vr_abc" || cfg.Token != "" {
		t.Fatalf("saved %+v", cfg)
	}
	if _, _, err = runCLI(t, env, "", "login", s.URL, "--email", "a@b.c"); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Fatalf("no password and no terminal: %v", err)
	}
}

func TestCommandErrorsAreOneClearLine(t *testing.T) {
	s, _ := fakeAPI(t, map[string]string{
		"GET /api/functions/ghost":       `404 {"error":{"code":"not_found","message":"function not found"}}`,
		"POST /api/functions/fn/invoke":  `404 {"error":{"code":"not_found","message":"version or alias \"prod\" not found"}}`,
		"GET /api/keys":                  `401 {"error":{"code":"unauthorized","message":"invalid or expired token"}}`,
		"POST /api/functions/bad/invoke": `400 {"error":{"code":"validation_failed","message":"one or more fields are invalid","fields":{"x":"why"}}}`,
	}, nil)
	env := loggedIn(t, s.URL)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fn", "get", "ghost"}, `function "ghost" not found`},
		{[]string{"invoke", "fn", "-q", "prod"}, `version or alias "prod" not found`},
		{[]string{"keys", "list"}, "invalid or expired token: run voltrun login"},
		{[]string{"invoke", "bad"}, "one or more fields are invalid: x: why"},
		{[]string{"usage"}, "the server at http://127.0.0.1:"},
		{[]string{"invoke", "fn", "--data", "{nope"}, "the event from --data is not valid JSON"},
		{[]string{"fn", "list", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"deploy", t.TempDir()}, "no voltrun.yaml in"},
		{[]string{"deploy", "--alias", "prod"}, "--alias needs --publish"},
		{[]string{"alias", "set", "fn", "prod", "two"}, `version "two" must be`},
	} {
		_, _, err := runCLI(t, env, "", c.args...)
		if err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q", c.args, err, c.want)
		}
	}
	if _, _, err := runCLI(t, testEnv(t, map[string]string{"VOLTRUN_URL": s.URL}), "", "fn", "list"); err == nil ||
		err.Error() != "not logged in to "+s.URL+": run voltrun login, or set VOLTRUN_API_KEY" {
		t.Errorf("not logged in: %v", err)
	}
}

func TestInvokeOutput(t *testing.T) {
	s, _ := fakeAPI(t, map[string]string{
		"POST /api/functions/ok/invoke": `{"execution_id":"e1","status":"succeeded","result":{"a":1},"logs":"line 1\n",` +
			`"duration_ms":3,"billed_ms":3,"cold_start":true,"version":"$LATEST"}`,
		"POST /api/functions/boom/invoke": `{"execution_id":"e2","status":"failed","result":null,` +
			`"error":{"type":"Error","message":"kaput","stack":[]},"logs":"","duration_ms":1,"billed_ms":1,"version":"2"}`,
	}, nil)
	env := loggedIn(t, s.URL)
	out, errOut, err := runCLI(t, env, `{"n":1}`, "invoke", "ok", "--data", "-")
	if err != nil || out != "{\n  \"a\": 1\n}\n" || !strings.Contains(errOut, "line 1\nsucceeded in 3 ms (billed 3 ms, cold start, version $LATEST, execution e1)") {
		t.Fatalf("ok: %q %q %v", out, errOut, err)
	}
	out, _, err = runCLI(t, env, "", "invoke", "boom", "-o", "json")
	if err == nil || err.Error() != `function "boom" failed: Error: kaput` || !strings.Contains(out, `"status": "failed"`) {
		t.Fatalf("failed call: %q %v", out, err)
	}
}

func TestTablesAndJSON(t *testing.T) {
	s, _ := fakeAPI(t, map[string]string{
		"GET /api/functions": `{"items":[{"name":"hello","runtime":"nodejs","handler":"index.handler","memory_mb":128,` +
			`"timeout_ms":10000,"code_size":2048}],"next_cursor":""}`,
		"GET /api/functions/hello/versions":     `{"items":[{"version":1,"code_sha256":"abcdef0123456789","description":"first"}]}`,
		"PUT /api/functions/hello/aliases/prod": `{"name":"prod","version":1,"routing":{"version":2,"weight":0.1}}`,
		"GET /api/usage": `{"totals":{"invocations":12,"errors":1,"duration_ms":40,"billed_ms":44,"gb_seconds":0.25},` +
			`"granularity":"day","series":[{"start":"2025-05-31T00:00:00Z"},{"start":"2025-06-01T00:00:00Z","invocations":12,"errors":1,"duration_ms":40,"billed_ms":44,"gb_seconds":0.25}],` +
			`"functions":[{"function_id":"f1","function_name":"hello","invocations":12}]}`,
		"POST /api/keys": `201 {"id":"k1","name":"ci","prefix":"vr_ab","scopes":["functions:read"],"key":"vr_secret"}`,
	}, nil)
	env := loggedIn(t, s.URL)
	for _, c := range []struct {
		args, want []string
		absent     string
	}{
		{[]string{"fn", "list"}, []string{"NAME   RUNTIME  HANDLER", "hello  nodejs   index.handler  128 MB  10 s     2.0 KiB"}, ""},
		{[]string{"fn", "list", "-o", "json"}, []string{`"name": "hello"`}, ""},
		{[]string{"versions", "hello"}, []string{"VERSION", "1        -        abcdef01  first"}, ""},
		{[]string{"alias", "set", "hello", "prod", "1", "--weight", "2=0.1"}, []string{"alias prod of hello -> version 1, 10% to version 2"}, ""},
		{[]string{"usage"}, []string{"PERIOD", "total       12           1       40 ms     44 ms   0.25\n", "2025-06-01  12", "FUNCTION", "hello     12"}, "2025-05-31"},
		{[]string{"keys", "create", "--name", "ci", "--scope", "functions:read"}, []string{"vr_secret\n"}, ""},
	} {
		out, _, err := runCLI(t, env, "", c.args...)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v printed\n%s\nwant it to contain %q", c.args, out, w)
			}
		}
		if c.absent != "" && strings.Contains(out, c.absent) {
			t.Errorf("%v printed %q:\n%s", c.args, c.absent, out)
		}
	}
}

func TestFollowLogs(t *testing.T) {
	up := websocket.Upgrader{}
	s, _ := fakeAPI(t, nil, map[string]http.HandlerFunc{
		"GET /api/functions/hello/logs/stream": func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok" {
				w.WriteHeader(401)
				return
			}
			conn, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer conn.Close()
			for _, m := range []string{
				`{"execution_id":"0123456789abcdef","ts":"2025-01-01T00:00:00Z","stream":"stdout","line":"first"}`,
				`{"execution_id":"0123456789abcdef","ts":"2025-01-01T00:00:01Z","stream":"stderr","line":"oops"}`,
				`{"type":"end","execution_id":"0123456789abcdef","status":"succeeded"}`,
			} {
				_ = conn.WriteMessage(websocket.TextMessage, []byte(m))
			}
			_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			_, _, _ = conn.ReadMessage()
		},
	})
	out, _, err := runCLI(t, loggedIn(t, s.URL), "", "logs", "hello", "-f")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 3 || !strings.HasSuffix(lines[0], " 89abcdef first") ||
		!strings.HasSuffix(lines[1], " 89abcdef [stderr] oops") || !strings.HasSuffix(lines[2], " 89abcdef --- succeeded") {
		t.Fatalf("logs -f printed %q, %v", out, err)
	}
}
