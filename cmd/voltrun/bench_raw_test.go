package main

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkVersusRaw compares a warm VoltRun call with the same echo served
// by the language's own HTTP server, in interleaved rounds of one run: the
// latency overhead at p50 (one connection, sequential) and throughput
// (16 connections) as a share of the raw server's. Run with -benchtime 1x.
// nodejs-wait is the I/O-bound case: the handler and the raw server wait
// ioWaitMS (a timer) before answering, so calls must not be pipelined behind
// one another.
// VoltRun runs as `voltrun server` in its own process, as the raw servers
// do, with its default JSON log at info; VOLTRUN_* variables in this
// process's environment reach it (VOLTRUN_SERVER_CPUS=2 runs it on both of
// two CPUs).
func BenchmarkVersusRaw(b *testing.B) {
	const (
		rounds = 3
		conns  = 16
		window = 3 * time.Second
	)
	for _, c := range []struct {
		name, runtime, code string
		requests            int // sequential, for the latency
	}{
		{"nodejs", "nodejs", `exports.handler = async (event) => event;`, 2000},
		{"python", "python", "def handler(event, context):\n    return event\n", 2000},
		{"nodejs-wait", "nodejs", fmt.Sprintf(`exports.handler = async (event) => { await new Promise((r) => setTimeout(r, %d)); return event; };`, ioWaitMS), 500},
	} {
		b.Run(c.name, func(b *testing.B) {
			raw := startRaw(b, c.name)
			s := startProcess(b, b.TempDir(), nil)
			auth := bearer(s.register("raw@example.com"))
			s.deploy(auth, map[string]any{"name": "echo", "runtime": c.runtime, "code": c.code, "public": true, "max_concurrency": 64})
			vr := endpoint{url: s.URL + "/fn/echo"}
			var rawP50, vrP50, rawRPS, vrRPS []float64
			for range b.N {
				for range rounds {
					for _, side := range []struct {
						tg  endpoint
						p50 *[]float64
						rps *[]float64
					}{{raw, &rawP50, &rawRPS}, {vr, &vrP50, &vrRPS}} {
						lat, err := side.tg.latency(c.requests)
						if err != nil {
							b.Fatal(err)
						}
						*side.p50 = append(*side.p50, float64(pctl(lat, 0.5).Microseconds()))
						rps, err := side.tg.throughput(conns, window)
						if err != nil {
							b.Fatal(err)
						}
						*side.rps = append(*side.rps, rps)
					}
				}
			}
			b.ReportMetric(medianF(rawP50), "raw-p50-µs")
			b.ReportMetric(medianF(vrP50), "voltrun-p50-µs")
			b.ReportMetric(medianF(vrP50)-medianF(rawP50), "overhead-µs")
			b.ReportMetric(medianF(rawRPS), "raw-req/s")
			b.ReportMetric(medianF(vrRPS), "voltrun-req/s")
			b.ReportMetric(100*medianF(vrRPS)/medianF(rawRPS), "%-of-raw")
		})
	}
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
