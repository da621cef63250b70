package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/config"
	"github.com/voltrun/voltrun/internal/testdb"
)

// testServer is a real VoltRun server started in-process on a random port.
type testServer struct {
	t       testing.TB
	URL     string
	dataDir string
	dbURL   string
	stop    func()
}

// startServer runs runServer with a temp data dir (or the given one) and
// database, and stops it when the test ends.
func startServer(t testing.TB, dataDir, dbURL string, env map[string]string) *testServer {
	t.Helper()
	requireSandbox(t)
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	vals := map[string]string{"VOLTRUN_LOG_LEVEL": "warn"}
	for k, v := range env {
		vals[k] = v
	}
	cfg, err := config.Load(map[string]string{"addr": "127.0.0.1:0", "data-dir": dataDir, "database-url": dbURL},
		func(k string) (string, bool) { v, ok := vals[k]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, cfg, func(a string) { addr <- a }) }()
	s := &testServer{t: t, dataDir: dataDir, dbURL: dbURL}
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30s")
	}
	var once bool
	s.stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server stopped with error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30s")
		}
	}
	t.Cleanup(s.stop)
	return s
}

// response is a decoded HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// errCode returns error.code of an error body.
func (r *response) errCode(t testing.TB) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("not an error body: %s", r.Body)
	}
	return fmt.Sprint(e["code"])
}

// do sends a request; body may be nil, a string/[]byte (sent raw) or any
// value (sent as JSON). headers alternate name, value.
func (s *testServer) do(method, path string, body any, headers ...string) *response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// expect fails unless r has the status (and, for errors, the code).
func expect(t testing.TB, r *response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if code != "" {
		if got := r.errCode(t); got != code {
			t.Fatalf("error code %q, want %q: %s", got, code, r.Body)
		}
	}
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// register creates an account and returns its token.
func (s *testServer) register(email string) string {
	s.t.Helper()
	r := s.do("POST", "/api/auth/register", map[string]string{"email": email, "password": "correct horse", "name": "Test User"})
	expect(s.t, r, 201, "")
	return r.json(s.t)["token"].(string)
}

// databases lists the databases the end-to-end tests run against: SQLite,
// and PostgreSQL (skipped when unreachable, except under CI=true).
var databases = map[string]func(t *testing.T) string{
	"sqlite":   func(*testing.T) string { return "" },
	"postgres": func(t *testing.T) string { return testdb.Postgres(t) },
}

// oversize sends a request announcing size bytes of body and returns the
// answer. The server may answer and close before the body is sent (as it
// should), so the body is written in the background and write errors are
// expected.
func (s *testServer) oversize(t testing.TB, path string, size int, headers ...string) *response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, size)
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&hdr, "%s: %s\r\n", headers[i], headers[i+1])
	}
	hdr.WriteString("\r\n")
	if _, err := conn.Write([]byte(hdr.String())); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = conn.Write(bytes.Repeat([]byte("x"), size)) }()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to an oversize body: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}
