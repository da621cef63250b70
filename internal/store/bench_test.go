//go:build unix

package store

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/testdb"
)

// BenchmarkSaveExecutions writes what the engine's recorder writes: batches
// of executions of a few functions that just finished (new ids, so every
// one is metered), with durations spread widely (each function's over 14
// doublings, more than real handlers spread, so that a batch fills many
// latency buckets). One op is one batch; execs/s is the recorder's write
// throughput; cpu-ms/op is the CPU time this process spent per batch (all
// of the work on SQLite, the client's on PostgreSQL), steadier than the
// wall time on a busy machine.
func BenchmarkSaveExecutions(b *testing.B) {
	for _, dialect := range []string{DialectSQLite, DialectPostgres} {
		for _, c := range []struct {
			size int
			body []byte
		}{{24, smallBody}, {256, smallBody}, {1024, httpEvent}} {
			size := c.size
			b.Run(fmt.Sprintf("%s/batch=%d/body=%d", dialect, size, len(c.body)), func(b *testing.B) {
				opts := Options{DataDir: b.TempDir(), Logger: zap.NewNop()}
				if dialect == DialectPostgres {
					opts = Options{DatabaseURL: testdb.Postgres(b), Logger: zap.NewNop()}
				}
				s, err := Open(b.Context(), opts)
				if err != nil {
					b.Fatalf("Open: %v", err)
				}
				b.Cleanup(func() { _ = s.Close() })
				fns := benchFunctions(b, s, 8)
				rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // reproducible data
				batch := make([]core.Execution, size)
				b.ReportAllocs()
				b.ResetTimer()
				var cpu time.Duration
				for b.Loop() {
					b.StopTimer()
					fillBatch(b, rng, fns, batch, c.body)
					before := cpuTime(b)
					b.StartTimer()
					if err := s.SaveExecutions(b.Context(), batch); err != nil {
						b.Fatalf("SaveExecutions: %v", err)
					}
					b.StopTimer()
					cpu += cpuTime(b) - before
					b.StartTimer()
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "execs/s")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// benchFunctions creates n functions of one owner.
func benchFunctions(b testing.TB, s *Store, n int) []*core.Function {
	b.Helper()
	u := &core.User{Email: "bench@example.com", PasswordHash: "h"}
	if err := s.CreateUser(b.Context(), u); err != nil {
		b.Fatalf("CreateUser: %v", err)
	}
	fns := make([]*core.Function, n)
	for i := range fns {
		f := &core.Function{
			OwnerID: u.ID, Name: fmt.Sprintf("fn-%d", i), Runtime: core.RuntimeNode,
			Handler: "index.handler", MemoryMB: 128, TimeoutMS: 10000,
		}
		if err := s.CreateFunction(b.Context(), f); err != nil {
			b.Fatalf("CreateFunction: %v", err)
		}
		fns[i] = f
	}
	return fns
}

// smallBody is the input and output of a call with a tiny event; httpEvent
// those of an echo called over HTTP: the event the function receives, which
// it returns (~1 KiB a record).
var (
	smallBody = []byte(`{"n":1}`)
	httpEvent = []byte(`{"version":"2.0","routeKey":"$default","rawPath":"/","rawQueryString":"",` +
		`"headers":{"accept":"*/*","content-length":"7","content-type":"application/json","host":"127.0.0.1:8080",` +
		`"user-agent":"curl/7.88.1"},"requestContext":{"requestId":"66e5cc17781f2f6084a4f618","timeEpoch":1796641031281,` +
		`"http":{"method":"POST","path":"/","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"curl/7.88.1"}},` +
		`"body":"{\"x\":1}","isBase64Encoded":false}`)
)

// fillBatch fills batch with new finished executions with body as their
// input and output: durations spread log-uniformly over 1 ms to 10 s, as a
// mix of handlers would.
func fillBatch(b testing.TB, rng *rand.Rand, fns []*core.Function, batch []core.Execution, body []byte) {
	b.Helper()
	now := time.Now()
	for i := range batch {
		id, err := uuid.NewV7()
		if err != nil {
			b.Fatal(err)
		}
		f := fns[rng.IntN(len(fns))]
		dur := int64(1)
		for range rng.IntN(14) { // 1 ms × 2^0..13
			dur *= 2
		}
		dur += rng.Int64N(dur)
		// Finished within the recorder's last interval.
		start := now.Add(-time.Duration(dur)*time.Millisecond - time.Duration(rng.Int64N(int64(100*time.Millisecond))))
		status := core.ExecSucceeded
		if rng.IntN(10) == 0 {
			status = core.ExecFailed
		}
		batch[i] = core.Execution{
			ID: id.String(), FunctionID: f.ID, OwnerID: f.OwnerID, FunctionName: f.Name, Version: "$LATEST",
			Trigger: "api", Status: status, Input: body, Output: body,
			Logs: "a line of output\n", MemoryMB: f.MemoryMB, DurationMS: dur, BilledMS: (dur/100 + 1) * 100,
			StartedAt: start, FinishedAt: start.Add(time.Duration(dur) * time.Millisecond),
		}
	}
}

// cpuTime is the CPU time, user and system, this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
