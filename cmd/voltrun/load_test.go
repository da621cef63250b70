package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A small load generator for the comparison benchmarks: the same client
// drives the raw baseline servers and VoltRun, so the ratios are fair.

// loadBody is what every request of these benchmarks posts, with either
// client.
const loadBody = `{"x":1}`

// wrk's output: the non-2xx count it prints when there were any, and the rate.
var (
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkRate   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
)

// endpoint is one HTTP URL under test.
type endpoint struct {
	url     string
	headers map[string]string
}

func (tg endpoint) client(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}}
}

func (tg endpoint) post(c *http.Client, body []byte) error {
	req, err := http.NewRequest("POST", tg.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range tg.headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: status %d", tg.url, res.StatusCode)
	}
	return nil
}

// latency sends n sequential requests on one keep-alive connection and
// returns their durations, sorted.
func (tg endpoint) latency(n int) ([]time.Duration, error) {
	c := tg.client(1)
	body := []byte(loadBody)
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := tg.post(c, body); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out, nil
}

// throughput runs conns clients for d and returns requests per second,
// with wrk when it is installed (see wrk) and Go's HTTP client otherwise.
func (tg endpoint) throughput(conns int, d time.Duration) (float64, error) {
	if path, err := exec.LookPath("wrk"); err == nil {
		return tg.wrk(path, conns, d)
	}
	c := tg.client(conns)
	body := []byte(loadBody)
	var done atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := tg.post(c, body); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	return float64(done.Load()) / time.Since(start).Seconds(), nil
}

// wrk measures throughput with wrk, the C load generator Debian packages:
// on two CPUs Go's HTTP client takes ~100 µs of CPU a request, which
// the servers under test then lack (docs/benchmarks.md).
func (tg endpoint) wrk(path string, conns int, d time.Duration) (float64, error) {
	script := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", loadBody)
	for k, v := range tg.headers {
		script += fmt.Sprintf("wrk.headers[%q] = %q\n", k, v)
	}
	f, err := os.CreateTemp("", "wrk-*.lua")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if _, err := f.WriteString(script); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	secs := strconv.Itoa(max(1, int(d.Round(time.Second).Seconds())))
	out, err := exec.Command(path, "-t2", "-c"+strconv.Itoa(conns), "-d"+secs+"s", "-s", f.Name(), tg.url).CombinedOutput() //nolint:gosec // wrk from PATH, fixed arguments
	if err != nil {
		return 0, fmt.Errorf("wrk: %w: %s", err, out)
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		return 0, fmt.Errorf("%s: %s responses were not 2xx:\n%s", tg.url, m[1], out)
	}
	m := wrkRate.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk printed no rate:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func pctl(sorted []time.Duration, p float64) time.Duration {
	return sorted[int(float64(len(sorted)-1)*p)]
}

// rawServers are the baselines: the same echo written directly against
// each language's HTTP server. The Python one is tuned for keep-alive
// (no Nagle, buffered writes); untuned it stalls at ~300 req/s.
// nodejs-wait waits ioWaitMS before it answers, as BenchmarkVersusRaw's
// I/O-bound handler does.
var rawServers = map[string][]string{
	"nodejs":      {"/usr/bin/node", "-e", rawNode(0)},
	"nodejs-wait": {"/usr/bin/node", "-e", rawNode(ioWaitMS)},
	"python": {"/usr/bin/python3", "-c", `
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 65536
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
    def log_message(self, *args):
        pass
class Server(ThreadingHTTPServer):
    # wrk resets its connections when its time is up.
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
Server(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()`},
}

// ioWaitMS is how long the I/O-bound case's handler and raw server wait
// before they answer, in milliseconds.
const ioWaitMS = 2

// rawNode is the Node echo server, answering after a timer of wait
// milliseconds; with none it answers inline, as a plain echo does.
func rawNode(wait int) string {
	reply := `res.writeHead(200, {"content-type": "application/json", "content-length": b.length}); res.end(b);`
	if wait > 0 {
		reply = fmt.Sprintf("setTimeout(() => { %s }, %d);", reply, wait)
	}
	return `
const http = require("http");
http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => { const b = Buffer.concat(chunks); ` + reply + ` });
}).listen(+process.argv[1], "127.0.0.1");`
}

// startRaw runs the baseline server rawServers names on a free port until
// the test ends.
func startRaw(tb testing.TB, name string) endpoint {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	argv := append(slices.Clone(rawServers[name]), strconv.Itoa(port))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	tg := endpoint{url: fmt.Sprintf("http://127.0.0.1:%d/", port)}
	for range 200 {
		if _, err := tg.latency(1); err == nil {
			return tg
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("raw %s server did not answer", name)
	return endpoint{}
}
