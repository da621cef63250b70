//go:build linux

package linuxns

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/sandboxtest"
)

// Benchmarks print in one run, with their bare-interpreter baselines:
//
//	go test -run '^$' -bench . ./internal/sandbox/linuxns
//
// ns/op of the cold-start benchmarks is Create until the runtime is ready
// to Load (what a pre-warmed pool hides); the extra metrics give the load
// and the first call, which a user's cold start also pays.

var benchFuncs = map[string]map[string]string{
	sandbox.RuntimeNode:   {"index.js": "exports.handler = async (event) => event;"},
	sandbox.RuntimePython: {"main.py": "def handler(event, context):\n    return event\n"},
}

var benchHandlers = map[string]string{sandbox.RuntimeNode: "index.handler", sandbox.RuntimePython: "main.handler"}

// benchDriver returns a driver with the sandbox init the server embeds.
func benchDriver(b *testing.B) *Driver {
	nsInit, err := sandboxtest.BuildNSInit()
	if err != nil {
		b.Fatal(err)
	}
	d := New(Options{StateDir: b.TempDir(), NSInit: nsInit})
	if err := d.Available(); err != nil {
		b.Skipf("linuxns unavailable: %v", err)
	}
	return d
}

func benchCode(b *testing.B, rt string) string {
	dir := b.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for name, body := range benchFuncs[rt] {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func benchColdStart(b *testing.B, rt string) {
	d := benchDriver(b)
	code := benchCode(b, rt)
	ctx := context.Background()
	var ready, loads, firsts []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		inst, err := d.Create(ctx, sandbox.Spec{Runtime: rt, CodeDir: code})
		if err != nil {
			b.Fatal(err)
		}
		ready = append(ready, time.Since(start))
		b.StopTimer()
		t := time.Now()
		if err := inst.Load(ctx, sandbox.LoadRequest{Handler: benchHandlers[rt]}); err != nil {
			b.Fatal(err)
		}
		loads = append(loads, time.Since(t))
		t = time.Now()
		res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Event: []byte(`{"x":1}`)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			b.Fatalf("%+v %v", res, err)
		}
		firsts = append(firsts, time.Since(t))
		if err := inst.Destroy(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(ms(p(ready, 50)), "ready-p50-ms")
	b.ReportMetric(ms(p(loads, 50)), "load-p50-ms")
	b.ReportMetric(ms(p(firsts, 50)), "first-invoke-p50-ms")
}

// BenchmarkCreateUnderHeap: a sandbox's start must not grow with the
// server's memory (many instances' state, caches, buffers). Go forks rather
// than vforks a child that gets a new user namespace, at a cost in
// proportion to the forking process's memory, so the driver has a small
// spawner fork the inits. It reports Create with 1 GiB of live heap in this
// process as a ratio of Create without it.
func BenchmarkCreateUnderHeap(b *testing.B) {
	d := benchDriver(b)
	code := benchCode(b, sandbox.RuntimePython)
	ctx := context.Background()
	create := func() time.Duration {
		start := time.Now()
		inst, err := d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimePython, CodeDir: code})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if err := inst.Destroy(ctx); err != nil {
			b.Fatal(err)
		}
		return took
	}
	create() // starts the spawner
	b.ResetTimer()
	var small, big []time.Duration
	for range b.N {
		small = append(small, create())
	}
	ballast := make([]byte, 1<<30)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	for range b.N {
		big = append(big, create())
	}
	goruntime.KeepAlive(ballast)
	debug.FreeOSMemory() // the ballast is garbage now: return it before the next round
	b.ReportMetric(ms(p(small, 50)), "ready-p50-ms")
	b.ReportMetric(ms(p(big, 50)), "heap-ready-p50-ms")
	b.ReportMetric(float64(p(big, 50))/float64(p(small, 50)), "heap/no-heap")
}

func benchWarm(b *testing.B, rt string) {
	d := benchDriver(b)
	ctx := context.Background()
	inst, err := d.Create(ctx, sandbox.Spec{Runtime: rt, CodeDir: benchCode(b, rt)})
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Destroy(ctx)
	if err := inst.Load(ctx, sandbox.LoadRequest{Handler: benchHandlers[rt]}); err != nil {
		b.Fatal(err)
	}
	req := sandbox.Request{ID: "x", Event: []byte(`{"x":1}`), Deadline: time.Now().Add(time.Hour)}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		res, err := inst.Invoke(ctx, req, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			b.Fatalf("%+v %v", res, err)
		}
		lat = append(lat, time.Since(t))
	}
	b.ReportMetric(float64(p(lat, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(p(lat, 99).Microseconds()), "p99-µs")
}

func benchBare(b *testing.B, path string, args ...string) {
	if _, err := os.Stat(path); err != nil {
		b.Skip(err)
	}
	var lat []time.Duration
	for range b.N {
		t := time.Now()
		cmd := exec.Command(path, args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"} // no NODE_EXTRA_CA_CERTS & co.
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	b.ReportMetric(ms(p(lat, 50)), "p50-ms")
}

func BenchmarkColdStartNode(b *testing.B)   { benchColdStart(b, sandbox.RuntimeNode) }
func BenchmarkColdStartPython(b *testing.B) { benchColdStart(b, sandbox.RuntimePython) }

func BenchmarkWarmInvokeNode(b *testing.B) { benchWarm(b, sandbox.RuntimeNode) }
func BenchmarkWarmInvokePython(b *testing.B) {
	benchWarm(b, sandbox.RuntimePython)
}
func BenchmarkBareNodeStart(b *testing.B)   { benchBare(b, "/usr/bin/node", "-e", "0") }
func BenchmarkBarePythonStart(b *testing.B) { benchBare(b, "/usr/bin/python3", "-c", "0") }

// p returns the q-th percentile of d (sorting it).
func p(d []time.Duration, q int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*q/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
