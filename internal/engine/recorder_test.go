package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/store"
)

// fixture opens a real SQLite store with one user and function.
func fixture(t *testing.T) (*store.Store, *core.Function) {
	t.Helper()
	st, err := store.Open(t.Context(), store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	u := &core.User{Email: "r@example.com", Name: "R", Role: core.RoleUser, PasswordHash: "x"}
	if err := st.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	fn := &core.Function{
		OwnerID: u.ID, Name: "f", Runtime: core.RuntimeNode, Handler: "index.handler",
		MemoryMB: 128, TimeoutMS: 1000, MaxConcurrency: 10, Code: []byte{},
	}
	if err := st.CreateFunction(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
	return st, fn
}

func record(fn *core.Function, status core.ExecStatus) core.Execution {
	now := time.Now().UTC()
	return core.Execution{
		ID: uuid.Must(uuid.NewV7()).String(), FunctionID: fn.ID, OwnerID: fn.OwnerID,
		FunctionName: fn.Name, Version: "$LATEST", Trigger: "api", Status: status, StartedAt: now, FinishedAt: now, BilledMS: 1,
	}
}

// TestRecorderBatchesAndFlushesOnStop: concurrent records all reach the
// database, are readable while pending, and a stop loses none.
func TestRecorderBatchesAndFlushesOnStop(t *testing.T) {
	st, fn := fixture(t)
	rec := NewRecorder(st, zap.NewNop(), 64, time.Hour) // only batches and the stop flush write
	ctx, cancel := context.WithCancel(context.Background())
	go rec.Run(ctx)

	const n = 1000
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := record(fn, core.ExecSucceeded)
			ids[i] = e.ID
			if err := rec.Add(e); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	cancel()
	<-rec.Done()
	if err := rec.Add(record(fn, core.ExecSucceeded)); err == nil {
		t.Fatal("Add after stop accepted a record that will never be written")
	}
	for _, id := range ids {
		if _, err := st.Execution(t.Context(), fn.OwnerID, id); err != nil {
			t.Fatalf("record %s lost: %v", id, err)
		}
	}
	if _, ok := rec.Pending(ids[0]); ok {
		t.Fatal("written record still pending")
	}
}

// TestRecorderReplaces: a later Add with the same id wins.
func TestRecorderReplaces(t *testing.T) {
	st, fn := fixture(t)
	rec := NewRecorder(st, zap.NewNop(), 10, 5*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	go rec.Run(ctx)
	e := record(fn, core.ExecRunning)
	if err := rec.Add(e); err != nil {
		t.Fatal(err)
	}
	if got, ok := rec.Pending(e.ID); !ok || got.Status != core.ExecRunning {
		t.Fatalf("pending: %v %v", got, ok)
	}
	e.Status, e.FinishedAt = core.ExecFailed, e.FinishedAt.Add(time.Second)
	if err := rec.Add(e); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-rec.Done()
	got, err := st.Execution(t.Context(), fn.OwnerID, e.ID)
	if err != nil || got.Status != core.ExecFailed {
		t.Fatalf("stored %v, %v; want the replacement", got, err)
	}
	list, _, err := st.ListExecutions(t.Context(), fn.OwnerID, core.ExecutionFilter{FunctionID: fn.ID}, core.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d rows, %v: want one", len(list), err)
	}
}

// TestRecorderHoldsYoungRunning: the record of a call running for less than
// runningHold is not written, unless the call ends (its final record is),
// it runs on, or the recorder stops.
func TestRecorderHoldsYoungRunning(t *testing.T) {
	st, fn := fixture(t)
	rec := NewRecorder(st, zap.NewNop(), 10, 5*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	go rec.Run(ctx)
	stored := func(id string) *core.Execution {
		t.Helper()
		e, err := st.Execution(t.Context(), fn.OwnerID, id)
		if core.ErrorCode(err) == core.CodeNotFound {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	add := func(e core.Execution) {
		t.Helper()
		if err := rec.Add(e); err != nil {
			t.Fatal(err)
		}
	}

	ends, runsOn := record(fn, core.ExecRunning), record(fn, core.ExecRunning)
	old := record(fn, core.ExecRunning)
	old.StartedAt = time.Now().Add(-2 * runningHold)
	done := record(fn, core.ExecSucceeded)
	for _, e := range []core.Execution{ends, runsOn, old, done} {
		add(e)
	}
	wait, stop := context.WithTimeout(t.Context(), 5*time.Second)
	defer stop()
	for _, id := range []string{old.ID, done.ID} {
		if err := rec.AwaitWritten(wait, id); err != nil {
			t.Fatalf("record %s not written: %v", id, err)
		}
	}
	if e := stored(old.ID); e == nil || e.Status != core.ExecRunning {
		t.Fatalf("a call running for %v is stored as %+v", 2*runningHold, e)
	}
	time.Sleep(20 * time.Millisecond) // a few more ticks
	for _, id := range []string{ends.ID, runsOn.ID} {
		if e := stored(id); e != nil {
			t.Fatalf("a call running for less than %v was written: %+v", runningHold, e)
		}
		if _, ok := rec.Pending(id); !ok {
			t.Fatalf("held record %s is not pending", id)
		}
	}

	ends.Status, ends.FinishedAt = core.ExecSucceeded, time.Now().UTC()
	add(ends)
	if err := rec.AwaitWritten(wait, ends.ID); err != nil {
		t.Fatal(err)
	}
	if e := stored(ends.ID); e == nil || e.Status != core.ExecSucceeded {
		t.Fatalf("a call that ended is stored as %+v", e)
	}

	deadline := time.Now().Add(runningHold + 2*time.Second)
	for stored(runsOn.ID) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("a call running for over %v was never written", runningHold)
		}
		time.Sleep(20 * time.Millisecond)
	}

	atStop := record(fn, core.ExecRunning)
	add(atStop)
	cancel()
	<-rec.Done()
	if e := stored(atStop.ID); e == nil || e.Status != core.ExecRunning {
		t.Fatalf("a running record pending at stop is stored as %+v", e)
	}
}

// batchSizes wraps a store and keeps the bytes of every batch saved.
type batchSizes struct {
	core.ExecutionStore
	mu    sync.Mutex
	bytes []int
}

func (b *batchSizes) SaveExecutions(ctx context.Context, execs []core.Execution) error {
	n := 0
	for i := range execs {
		n += recordBytes(&execs[i])
	}
	b.mu.Lock()
	b.bytes = append(b.bytes, n)
	b.mu.Unlock()
	return b.ExecutionStore.SaveExecutions(ctx, execs)
}

// TestRecorderBatchBytes: records carrying inputs, outputs and logs at
// their caps are written once they add up to a batch's bytes, without
// waiting for the tick or for the batch's count, and no batch holds more.
func TestRecorderBatchBytes(t *testing.T) {
	st, fn := fixture(t)
	sizes := &batchSizes{ExecutionStore: st}
	rec := NewRecorder(sizes, zap.NewNop(), 1024, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-rec.Done() }()
	go rec.Run(ctx)

	big := make([]byte, core.MaxRecordedInput)
	const n = 200 // 38 MiB: more than two batches
	ids := make([]string, n)
	for i := range ids {
		e := record(fn, core.ExecSucceeded)
		e.Input, e.Output, e.Logs = big, big, string(big)
		ids[i] = e.ID
		if err := rec.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	wait, stop := context.WithTimeout(t.Context(), 30*time.Second)
	defer stop()
	// The last record is left below a batch's bytes: only the tick or the
	// stop writes it.
	for _, id := range ids[:n/2] {
		if err := rec.AwaitWritten(wait, id); err != nil {
			t.Fatalf("record %s not written without a tick: %v", id, err)
		}
	}
	sizes.mu.Lock()
	defer sizes.mu.Unlock()
	if len(sizes.bytes) < 2 {
		t.Fatalf("%d batches for 100 records of %d bytes", len(sizes.bytes), recordBytes(&core.Execution{Input: big, Output: big, Logs: string(big)}))
	}
	for _, b := range sizes.bytes {
		if b > maxBatchBytes {
			t.Errorf("a batch of %d bytes, over %d", b, maxBatchBytes)
		}
	}
	if _, err := st.Execution(t.Context(), fn.OwnerID, ids[0]); err != nil {
		t.Fatalf("first record: %v", err)
	}
}
