package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestWrkThroughput: the benchmarks' wrk runner posts the body and headers
// it is given, reports a rate from a server that answers 200, and fails on
// one that does not.
func TestWrkThroughput(t *testing.T) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but wrk is not installed (.ci/run installs it)")
		}
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || string(body) != `{"x":1}` || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Key") != "k" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = w.Write(body)
	}))
	defer echo.Close()
	rps, err := endpoint{url: echo.URL, headers: map[string]string{"X-Key": "k"}}.wrk(path, 2, time.Second)
	if err != nil || rps <= 0 {
		t.Fatalf("wrk against an echo: %v req/s, %v", rps, err)
	}
	// The same server refuses a request without the header.
	if rps, err := (endpoint{url: echo.URL}).wrk(path, 2, time.Second); err == nil {
		t.Fatalf("wrk reported %v req/s from a server that answered 400", rps)
	}
}
