package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end benchmarks drive a real server over HTTP as a client
// would and report latency percentiles and throughput. The Bare benchmarks
// start the interpreters directly, in the same run: the baselines the
// sandboxed figures are compared against (docs/benchmarks.md).

var benchHandlers = map[string]string{
	"nodejs": `exports.handler = async () => null;`,
	"python": "def handler(event, context):\n    return None\n",
}

// benchFunction starts a server with a no-op function of runtime and
// returns a call to it, plus the server and token to change it.
func benchFunction(b *testing.B, runtime string, env ...string) (*testServer, []string, func() error) {
	b.Helper()
	cfg := map[string]string{"VOLTRUN_LOG_LEVEL": "error"}
	for i := 0; i+1 < len(env); i += 2 {
		cfg[env[i]] = env[i+1]
	}
	s := startServer(b, "", "", cfg)
	auth := bearer(s.register("bench@example.com"))
	s.deploy(auth, map[string]any{"name": "noop", "runtime": runtime, "code": benchHandlers[runtime], "max_concurrency": 64})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := s.URL + "/api/functions/noop/invoke"
	call := func() error {
		req, err := http.NewRequest("POST", url, bytes.NewReader([]byte(`{"x":1}`)))
		if err != nil {
			return err
		}
		req.Header.Set(auth[0], auth[1])
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"status":"succeeded"`)) {
			return fmt.Errorf("status %d: %s", res.StatusCode, body)
		}
		return nil
	}
	return s, auth, call
}

// reportLatency adds p50/p99 in microseconds to the benchmark's output.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkWarmInvoke: sequential calls of a warm no-op function.
func BenchmarkWarmInvoke(b *testing.B) {
	for _, rt := range []string{"nodejs", "python"} {
		b.Run(rt, func(b *testing.B) {
			_, _, call := benchFunction(b, rt)
			if err := call(); err != nil { // warm it up
				b.Fatal(err)
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if err := call(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportLatency(b, lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkWarmThroughput: 4 clients calling at once (4 warm instances).
func BenchmarkWarmThroughput(b *testing.B) {
	const clients = 4
	for _, rt := range []string{"nodejs", "python"} {
		b.Run(rt, func(b *testing.B) {
			_, _, call := benchFunction(b, rt)
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() { _ = call() })
			}
			wg.Wait()
			b.ResetTimer()
			work := make(chan struct{}, b.N)
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			for range clients {
				wg.Go(func() {
					for range work {
						if err := call(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// bareStart is each runtime's interpreter started directly on the host,
// unsandboxed, with a clean environment: the cold-start baseline.
var bareStart = map[string][]string{
	"nodejs": {"/usr/bin/node", "-e", "0"},
	"python": {"/usr/bin/python3", "-c", "0"},
}

// BenchmarkColdInvoke: each call needs a new instance (the function's
// configuration changes between calls), measured at the client, with a
// bare interpreter start measured between calls as the baseline. prewarmed
// waits for a pre-warmed sandbox before each call; boot has pre-warming
// off, so every call boots a sandbox.
func BenchmarkColdInvoke(b *testing.B) {
	for _, rt := range []string{"nodejs", "python"} {
		for _, mode := range []string{"prewarmed", "boot"} {
			b.Run(rt+"/"+mode, func(b *testing.B) {
				pool := "1024"
				if mode == "boot" {
					pool = "0"
				}
				s, auth, call := benchFunction(b, rt, "VOLTRUN_POOL_MEMORY_MB", pool)
				argv := bareStart[rt]
				cold := make([]time.Duration, 0, b.N)
				bare := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					expect(b, s.do("PATCH", "/api/functions/noop", map[string]any{"env": map[string]string{"N": fmt.Sprint(i)}}, auth...), 200, "")
					// The edit retires the previous call's instance; its
					// teardown shares the CPU with neither the baseline nor
					// the call.
					time.Sleep(300 * time.Millisecond)
					cmd := exec.Command(argv[0], argv[1:]...)
					cmd.Env = []string{"PATH=/usr/bin:/bin"}
					start := time.Now()
					if err := cmd.Run(); err != nil {
						b.Fatal(err)
					}
					bare = append(bare, time.Since(start))
					if mode == "prewarmed" {
						waitPrewarmed(b, s, rt)
						// One owner may take the pool's last sandbox about twice
						// a second (the pre-warm pool's fair share); faster, its
						// calls boot, which the "boot" rows measure.
						time.Sleep(600 * time.Millisecond)
					}
					b.StartTimer()
					start = time.Now()
					if err := call(); err != nil {
						b.Fatal(err)
					}
					cold = append(cold, time.Since(start))
				}
				b.StopTimer()
				if booted := coldStarts(b, s, rt, "boot"); mode == "prewarmed" && booted > 0 {
					b.Fatalf("%v of %d calls booted a sandbox instead of taking a pre-warmed one", booted, b.N)
				}
				reportLatency(b, cold)
				b.ReportMetric(median(bare).Seconds()*1e6, "bare-p50-µs")
				b.ReportMetric(float64(median(cold))/float64(median(bare)), "cold/bare")
			})
		}
	}
}

// coldStarts reads the server's count of rt's cold starts had the given way.
func coldStarts(b *testing.B, s *testServer, rt, how string) float64 {
	b.Helper()
	return float64(metricValue(b, s, "voltrun_cold_starts_total", fmt.Sprintf("how=%q", how), fmt.Sprintf("runtime=%q", rt)))
}

// waitPrewarmed waits until the server holds a pre-warmed sandbox of rt.
func waitPrewarmed(b *testing.B, s *testServer, rt string) {
	want := fmt.Sprintf(`voltrun_prewarmed_instances{runtime=%q} `, rt)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		body := string(s.do("GET", "/metrics", nil).Body)
		if i := strings.Index(body, want); i >= 0 && !strings.HasPrefix(body[i+len(want):], "0\n") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatalf("no pre-warmed %s sandbox within 10s", rt)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
