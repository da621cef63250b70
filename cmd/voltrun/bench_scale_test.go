package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
)

// BenchmarkIdleInstances holds 200 warm Node instances (200 functions,
// each called once), checks a second call to each is warm, and reports what
// one instance costs in memory beyond a bare idle node process measured in
// the same run: the anonymous memory of the sandbox's processes (the init
// and node; their code is file-backed and shared) plus the server's growth
// per instance. Run with -benchtime 1x.
func BenchmarkIdleInstances(b *testing.B) {
	const n = 200
	for range b.N {
		s := startServer(b, "", "", map[string]string{
			"VOLTRUN_LOG_LEVEL": "error", "VOLTRUN_DEFAULT_PLAN": "unlimited", "VOLTRUN_POOL_MEMORY_MB": "0",
		})
		auth := bearer(s.register("idle@example.com"))
		for i := range n {
			s.deploy(auth, map[string]any{"name": fmt.Sprintf("idle-%d", i), "runtime": "nodejs", "code": benchHandlers["nodejs"]})
		}
		serverBefore := anonKiB(b, os.Getpid())
		firstCalls(b, s, auth, n, 1, func(i int) string { return fmt.Sprintf("idle-%d", i) }, 8)
		warm := metricValue(b, s, "voltrun_warm_instances")
		if warm != n {
			b.Fatalf("%d warm instances held, want %d", warm, n)
		}
		serverAfter := anonKiB(b, os.Getpid())
		var sandboxes, inits []int
		spawners := 0 // KiB of the process that starts the sandboxes, shared by all
		for _, init := range childrenOf(b, os.Getpid()) {
			if isSpawner(init) {
				spawners += anonKiB(b, init)
				continue
			}
			total := anonKiB(b, init)
			inits = append(inits, total)
			for _, c := range childrenOf(b, init) {
				total += anonKiB(b, c)
			}
			sandboxes = append(sandboxes, total)
		}
		if len(sandboxes) != n {
			b.Fatalf("%d sandboxes found, want %d", len(sandboxes), n)
		}
		for i := range n {
			if out := s.invoke(auth, fmt.Sprintf("idle-%d", i), map[string]any{}); out["cold_start"] != false {
				b.Fatalf("the second call to idle-%d was not warm: %v", i, out)
			}
		}
		bare := bareNodeAnonKiB(b)
		perSandbox := medianInt(sandboxes)
		perServer := float64(serverAfter-serverBefore+spawners) / n
		b.ReportMetric(float64(warm), "instances-held")
		b.ReportMetric(float64(bare), "bare-node-KiB")
		b.ReportMetric(float64(perSandbox), "sandbox-KiB")
		b.ReportMetric(float64(medianInt(inits)), "init-KiB")
		b.ReportMetric(perServer, "server-KiB/instance")
		b.ReportMetric(float64(perSandbox-bare)+perServer, "extra-KiB/instance")
	}
}

// BenchmarkBurst sends 500 concurrent first calls spread over 50 new Node
// functions (10 each) and reports their latency percentiles, with a bare
// node start measured in the same run as the baseline. Run with -benchtime
// 1x.
func BenchmarkBurst(b *testing.B) {
	const functions, calls = 50, 500
	for range b.N {
		s := startServer(b, "", "", map[string]string{"VOLTRUN_LOG_LEVEL": "error", "VOLTRUN_DEFAULT_PLAN": "unlimited"})
		auth := bearer(s.register("burst@example.com"))
		for i := range functions {
			s.deploy(auth, map[string]any{
				"name": fmt.Sprintf("burst-%d", i), "runtime": "nodejs",
				"code": benchHandlers["nodejs"], "max_concurrency": calls / functions,
			})
		}
		bare := bareStarts(b, "nodejs", 5)
		lat := firstCalls(b, s, auth, functions, calls/functions, func(i int) string { return fmt.Sprintf("burst-%d", i) }, calls)
		reportLatency(b, lat)
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(median(bare).Microseconds())/1000, "bare-p50-ms")
		b.ReportMetric(float64(pctl(lat, 0.99))/float64(median(bare)), "p99/bare")
		b.ReportMetric(float64(metricValue(b, s, "voltrun_cold_starts_total", `how="boot"`, `runtime="nodejs"`)+
			metricValue(b, s, "voltrun_cold_starts_total", `how="prewarmed"`, `runtime="nodejs"`)), "instances-started")
		b.ReportMetric(float64(metricValue(b, s, "voltrun_queued_calls_total", `outcome="served"`)), "queued-served")
		b.ReportMetric(float64(metricValue(b, s, "voltrun_queued_calls_total", `outcome="started"`)), "queued-started")
	}
}

// firstCalls calls each of functions names (name(i)) perFn times over
// conns concurrent clients, all released at once, and returns the sorted
// latencies; every call must succeed.
func firstCalls(b *testing.B, s *testServer, auth []string, functions, perFn int, name func(int) string, conns int) []time.Duration {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	jobs := make(chan string, functions*perFn)
	for i := range functions * perFn {
		jobs <- name(i % functions)
	}
	close(jobs)
	var mu sync.Mutex
	var lat []time.Duration
	var failed error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range conns {
		wg.Go(func() {
			<-start
			for fn := range jobs {
				req, _ := http.NewRequest("POST", s.URL+"/api/functions/"+fn+"/invoke", strings.NewReader(`{}`))
				req.Header.Set(auth[0], auth[1])
				req.Header.Set("Content-Type", "application/json")
				t := time.Now()
				res, err := client.Do(req)
				var body []byte
				if err == nil {
					body, _ = io.ReadAll(res.Body)
					_ = res.Body.Close()
					if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"status":"succeeded"`)) {
						err = fmt.Errorf("%s: %d %s", fn, res.StatusCode, body)
					}
				}
				took := time.Since(t)
				mu.Lock()
				lat = append(lat, took)
				if err != nil && failed == nil {
					failed = err
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	slices.Sort(lat)
	return lat
}

// metricValue sums the integer series of metric on the server's /metrics
// that carry all of labels, each written as /metrics writes it (name="v").
func metricValue(b testing.TB, s *testServer, metric string, labels ...string) int {
	b.Helper()
	sum := 0
	for line := range strings.Lines(string(s.do("GET", "/metrics", nil).Body)) {
		series, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		name, set, _ := strings.Cut(series, "{")
		if name != metric || slices.ContainsFunc(labels, func(l string) bool { return !strings.Contains(set, l) }) {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			b.Fatal(err)
		}
		sum += int(f)
	}
	return sum
}

// anonKiB is a process's resident anonymous memory.
func anonKiB(b *testing.B, pid int) int {
	b.Helper()
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(st)) {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "RssAnon:" {
			kib, _ := strconv.Atoi(f[1])
			return kib
		}
	}
	b.Fatalf("no RssAnon for %d", pid)
	return 0
}

// childrenOf lists pid's child processes.
func childrenOf(b *testing.B, pid int) []int {
	b.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		b.Fatal(err)
	}
	var out []int
	for _, t := range tasks {
		c, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue // the thread ended
		}
		for _, f := range strings.Fields(string(c)) {
			if p, err := strconv.Atoi(f); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// isSpawner reports whether pid is the linuxns driver's sandbox spawner.
func isSpawner(pid int) bool {
	argv, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && strings.HasPrefix(string(argv), nsinit.SpawnerArg0+"\x00")
}

// bareNodeAnonKiB starts an idle node process and reads its anonymous
// memory once it has settled.
func bareNodeAnonKiB(b *testing.B) int {
	b.Helper()
	cmd := exec.Command("/usr/bin/node", "-e", "setInterval(() => {}, 1 << 30)")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	time.Sleep(time.Second)
	return anonKiB(b, cmd.Process.Pid)
}

// bareStarts times n bare starts of the runtime's interpreter.
func bareStarts(b *testing.B, rt string, n int) []time.Duration {
	b.Helper()
	argv := bareStart[rt]
	var out []time.Duration
	for range n {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = []string{"PATH=/usr/bin:/bin"}
		t := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		out = append(out, time.Since(t))
	}
	return out
}

func medianInt(v []int) int {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
