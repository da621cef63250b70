package queue

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

// memRecorder keeps records in memory by the recorder's rules; writes are
// held while hold is set.
type memRecorder struct {
	mu   sync.Mutex
	recs map[string]core.Execution
	hold chan struct{} // AwaitWritten blocks until it is closed
}

func newMemRecorder() *memRecorder { return &memRecorder{recs: map[string]core.Execution{}} }

func (r *memRecorder) Add(e core.Execution) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur, ok := r.recs[e.ID]; ok && !e.Supersedes(&cur) {
		return nil
	}
	r.recs[e.ID] = e
	return nil
}

func (r *memRecorder) AwaitWritten(ctx context.Context, _ string) error {
	r.mu.Lock()
	hold := r.hold
	r.mu.Unlock()
	if hold == nil {
		return nil
	}
	select {
	case <-hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *memRecorder) get(id string) (core.Execution, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.recs[id]
	return e, ok
}

// memFunctions serves functions, versions and records from memory.
type memFunctions struct {
	mu       sync.Mutex
	fns      map[string]*core.Function
	versions map[string]*core.Version // "fnID/n"
	rec      *memRecorder
}

func (m *memFunctions) Function(_ context.Context, ownerID, id string) (*core.Function, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.fns[id]
	if !ok || f.OwnerID != ownerID {
		return nil, core.Errorf(core.CodeNotFound, "function not found")
	}
	c := *f
	return &c, nil
}

func (m *memFunctions) Version(_ context.Context, _, functionID string, n int) (*core.Version, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.versions[fmt.Sprintf("%s/%d", functionID, n)]
	if !ok {
		return nil, core.Errorf(core.CodeNotFound, "version not found")
	}
	return v, nil
}

func (m *memFunctions) Execution(_ context.Context, ownerID, id string) (*core.Execution, error) {
	e, ok := m.rec.get(id)
	if !ok || e.OwnerID != ownerID {
		return nil, core.Errorf(core.CodeNotFound, "execution not found")
	}
	return &e, nil
}

// call is one Invoke the fake invoker saw.
type call struct {
	c  engine.Call
	at time.Time
}

// fakeInvoker answers calls with run and remembers them; it records
// outcomes as the engine would.
type fakeInvoker struct {
	mu    sync.Mutex
	calls []call
	rec   *memRecorder
	run   func(c engine.Call, n int) (core.ExecStatus, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, c engine.Call) (*engine.Outcome, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{c, time.Now()})
	n := len(f.calls)
	f.mu.Unlock()
	status, err := f.run(c, n)
	if err != nil {
		return nil, err
	}
	e := core.Execution{
		ID: c.ExecutionID, FunctionID: c.Function.ID, OwnerID: c.Function.OwnerID, FunctionName: c.Function.Name,
		Version: c.Version, Trigger: c.Trigger, Status: status, Attempts: c.Attempt, FinishedAt: time.Now(),
	}
	if status == core.ExecFailed {
		e.Error = &core.FunctionError{Type: "Error", Message: "boom"}
	}
	_ = f.rec.Add(e)
	return &engine.Outcome{Execution: e, Result: []byte(`"ok"`)}, nil
}

func (f *fakeInvoker) seen() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

type hookFunc func(ctx context.Context, e *core.Execution)

func (h hookFunc) DeadLettered(ctx context.Context, e *core.Execution) { h(ctx, e) }

// fixture is an embedded queue with in-memory collaborators.
type fixture struct {
	q   *Queue
	rec *memRecorder
	fns *memFunctions
	fn  *core.Function
	dir string
}

func openQueue(t *testing.T, dir string, rec *memRecorder) *Queue {
	t.Helper()
	q, err := Open(t.Context(), Options{DataDir: dir, AckWait: 2 * time.Second, Recorder: rec, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return q
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	rec := newMemRecorder()
	fn := &core.Function{
		ID: uuid.NewString(), OwnerID: uuid.NewString(), Name: "fn", MemoryMB: 128, TimeoutMS: 1000,
		AsyncMaxAttempts: 3, AsyncRetryBaseMS: 100,
	}
	fx := &fixture{
		rec: rec, fn: fn, dir: t.TempDir(),
		fns: &memFunctions{fns: map[string]*core.Function{fn.ID: fn}, versions: map[string]*core.Version{}, rec: rec},
	}
	fx.q = openQueue(t, fx.dir, rec)
	t.Cleanup(func() { _ = fx.q.Close(context.Background()) })
	return fx
}

func (fx *fixture) worker(t *testing.T, inv Invoker, hook DeadLetterHook) *Worker {
	t.Helper()
	w := NewWorker(fx.q, WorkerOptions{Invoker: inv, Functions: fx.fns, Concurrency: 4, Hook: hook, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))})
	w.Start(t.Context())
	t.Cleanup(func() { w.Stop(5 * time.Second) })
	return w
}

func (fx *fixture) enqueue(t *testing.T, version string, event string) string {
	t.Helper()
	e, err := fx.q.Enqueue(t.Context(), engine.Call{Function: fx.fn, Version: version, Event: []byte(event)})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if e.Status != core.ExecQueued || e.Attempts != 0 || e.Trigger != core.TriggerAsync {
		t.Fatalf("queued record %+v", e)
	}
	return e.ID
}

// waitFor polls cond until it holds or 20s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// streamMsgs is how many messages the async stream holds.
func (fx *fixture) streamMsgs(t *testing.T) uint64 {
	t.Helper()
	st, err := fx.q.js.Stream(t.Context(), fx.q.names.stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
