//go:build linux

package gvisor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// Benchmarks print in one run, with their bare-interpreter baselines:
//
//	go test -run '^$' -bench . -benchtime 20x ./internal/sandbox/gvisor
//
// ready-p50-ms is Create until the instance can Load (a boot, or a restore
// from the runtime's snapshot); load and first-invoke are what a user's
// cold start pays on top. The restore benchmarks build the snapshot before
// the timer starts.

var benchFuncs = map[string]map[string]string{
	sandbox.RuntimeNode:   {"index.js": "exports.handler = async (event) => event;"},
	sandbox.RuntimePython: {"main.py": "def handler(event, context):\n    return event\n"},
}

var benchHandlers = map[string]string{sandbox.RuntimeNode: "index.handler", sandbox.RuntimePython: "main.handler"}

func benchCode(b *testing.B, rt string) string {
	dir := b.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	writeBenchCode(b, dir, rt)
	return dir
}

// writeBenchCode writes rt's benchmark function into dir.
func writeBenchCode(b *testing.B, dir, rt string) {
	for name, body := range benchFuncs[rt] {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil { //nolint:gosec // the sandbox user reads the code
			b.Fatal(err)
		}
	}
}

func benchStart(b *testing.B, rt string, restore bool) {
	opts := Options{NoSnapshots: true}
	if restore {
		opts = Options{SnapshotRuntimes: []string{rt}, AlwaysRestore: true}
	}
	d := newTestDriver(b, opts)
	spec := sandbox.Spec{Runtime: rt, CodeDir: benchCode(b, rt)}
	ctx := context.Background()
	if restore {
		if _, _, err := d.image(ctx, spec.WithDefaults()); err != nil {
			b.Fatal(err)
		}
	}
	var ready, loads, firsts []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		inst, err := d.Create(ctx, spec)
		if err != nil {
			b.Fatal(err)
		}
		ready = append(ready, time.Since(start))
		b.StopTimer()
		if got := inst.(*instance).restored; got != restore {
			b.Fatalf("restored = %v, want %v", got, restore)
		}
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

// benchInterleaved alternates a boot and a restore every iteration, so the
// ratio survives a machine whose load changes during the run, each both
// ways a Create makes them: in the parked sandbox of its kind, which is
// what a Create finds unless it follows another of its kind within a
// runsc create's time (restore/boot), and in a new sandbox (cold-*).
// first-call compares the parked ones to the end of their first call: a
// restored instance loads more slowly, most likely because its memory is
// mapped again page by page as it is touched (docs/benchmarks.md).
func benchInterleaved(b *testing.B, rt string) {
	d := newTestDriver(b, Options{SnapshotRuntimes: []string{rt}})
	spec := sandbox.Spec{Runtime: rt}.WithDefaults() // a private code dir, as the engine's
	ctx := context.Background()
	img, _, err := d.image(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	type way struct {
		restore, parked bool
	}
	took, called := map[way][]time.Duration{}, map[way][]time.Duration{}
	d.repark(spec)
	b.ResetTimer()
	for range b.N {
		for _, w := range []way{{false, true}, {true, true}, {false, false}, {true, false}} {
			from := ""
			if w.restore {
				from = img
			}
			b.StopTimer()
			awaitParked(b, d, spec) // nothing parking meanwhile, and one to take
			b.StartTimer()
			start := time.Now()
			var inst *instance
			if w.parked {
				inst, err = d.startParked(ctx, spec, from)
			} else {
				inst, err = d.start(ctx, spec, from, nil)
			}
			if err != nil {
				b.Fatal(err)
			}
			took[w] = append(took[w], time.Since(start))
			writeBenchCode(b, inst.CodeDir(), rt)
			if err := inst.Load(ctx, sandbox.LoadRequest{Handler: benchHandlers[rt]}); err != nil {
				b.Fatal(err)
			}
			res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Event: []byte(`{"x":1}`)}, nil)
			if err != nil || res.Status != sandbox.StatusSucceeded {
				b.Fatalf("%+v %v", res, err)
			}
			called[w] = append(called[w], time.Since(start))
			b.StopTimer()
			if err := inst.Destroy(ctx); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	boot, restore := p(took[way{false, true}], 50), p(took[way{true, true}], 50)
	b.ReportMetric(ms(boot), "boot-p50-ms")
	b.ReportMetric(ms(restore), "restore-p50-ms")
	b.ReportMetric(float64(restore)/float64(boot), "restore/boot")
	b.ReportMetric(float64(p(called[way{true, true}], 50))/float64(p(called[way{false, true}], 50)), "first-call")
	coldBoot, coldRestore := p(took[way{false, false}], 50), p(took[way{true, false}], 50)
	b.ReportMetric(ms(coldBoot), "cold-boot-p50-ms")
	b.ReportMetric(ms(coldRestore), "cold-restore-p50-ms")
	b.ReportMetric(float64(coldRestore)/float64(coldBoot), "cold-restore/boot")
}

// heavyInit imports a dozen standard-library packages at init, as real
// handlers do with their dependencies.
const heavyInit = `import argparse, asyncio, csv, decimal, email.parser, http.client, json, logging
import sqlite3, tarfile, urllib.request, uuid, xml.etree.ElementTree, zipfile
def handler(event, context):
    return event
`

// BenchmarkLoadedVsLoad: cold starts of a Python function with heavyInit,
// alternating the two ways: restored from an image taken after its load
// (CreateLoaded), and restored from the runtime's image then loaded (what
// a cold start without the function's image does). Each is measured to
// the end of the first call.
func BenchmarkLoadedVsLoad(b *testing.B) {
	d := newTestDriver(b, Options{})
	spec := sandbox.Spec{Runtime: sandbox.RuntimePython}.WithDefaults()
	fill := func(dir string) error { return os.WriteFile(filepath.Join(dir, "main.py"), []byte(heavyInit), 0o644) } //nolint:gosec // the sandbox user reads the code
	load := sandbox.LoadRequest{Handler: "main.handler"}
	ctx := context.Background()
	if _, _, err := d.image(ctx, spec); err != nil {
		b.Fatal(err)
	}
	if !d.SnapshotLoaded("bench", "heavy", spec, fill, load) {
		b.Fatal("SnapshotLoaded refused")
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		inst, err := d.CreateLoaded(ctx, "heavy", spec, fill)
		if err != nil || time.Now().After(deadline) {
			b.Fatalf("no image: %v", err)
		}
		if inst != nil {
			_ = inst.Destroy(ctx)
			break
		}
	}
	first := func(inst sandbox.Instance) {
		res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Event: []byte(`{"x":1}`), Deadline: time.Now().Add(10 * time.Second)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			b.Fatalf("%+v %v", res, err)
		}
	}
	var loads, snaps []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		inst, err := d.Create(ctx, spec)
		if err == nil {
			if err = fill(inst.CodeDir()); err == nil {
				err = inst.Load(ctx, load)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		first(inst)
		loads = append(loads, time.Since(start))
		b.StopTimer()
		_ = inst.Destroy(ctx)
		b.StartTimer()

		start = time.Now()
		inst, err = d.CreateLoaded(ctx, "heavy", spec, fill)
		if err != nil || inst == nil {
			b.Fatalf("CreateLoaded: %v %v", inst, err)
		}
		first(inst)
		snaps = append(snaps, time.Since(start))
		b.StopTimer()
		_ = inst.Destroy(ctx)
		b.StartTimer()
	}
	b.ReportMetric(ms(p(loads, 50)), "load-p50-ms")
	b.ReportMetric(ms(p(snaps, 50)), "snapshot-p50-ms")
	b.ReportMetric(float64(p(snaps, 50))/float64(p(loads, 50)), "snapshot/load")
}

func benchWarm(b *testing.B, rt string) {
	d := newTestDriver(b, Options{NoSnapshots: true})
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

func BenchmarkColdBootNode(b *testing.B)      { benchStart(b, sandbox.RuntimeNode, false) }
func BenchmarkColdBootPython(b *testing.B)    { benchStart(b, sandbox.RuntimePython, false) }
func BenchmarkRestoreNode(b *testing.B)       { benchStart(b, sandbox.RuntimeNode, true) }
func BenchmarkRestorePython(b *testing.B)     { benchStart(b, sandbox.RuntimePython, true) }
func BenchmarkBootVsRestoreNode(b *testing.B) { benchInterleaved(b, sandbox.RuntimeNode) }
func BenchmarkBootVsRestorePython(b *testing.B) {
	benchInterleaved(b, sandbox.RuntimePython)
}
func BenchmarkWarmInvokeNode(b *testing.B)   { benchWarm(b, sandbox.RuntimeNode) }
func BenchmarkWarmInvokePython(b *testing.B) { benchWarm(b, sandbox.RuntimePython) }
func BenchmarkBareNodeStart(b *testing.B)    { benchBare(b, "/usr/bin/node", "-e", "0") }
func BenchmarkBarePythonStart(b *testing.B)  { benchBare(b, "/usr/bin/python3", "-c", "0") }

// p returns the q-th percentile of d (sorting it).
func p(d []time.Duration, q int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*q/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
