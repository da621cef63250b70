package engine

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
)

// fakePublisher remembers what the engine publishes.
type fakePublisher struct {
	mu     sync.Mutex
	events []string
	during func(id string) // called on the first line, while the call runs
}

func (p *fakePublisher) Line(ref LogRef, stream, line string) {
	p.mu.Lock()
	first := len(p.events) == 0
	p.events = append(p.events, ref.ExecutionID+" "+stream+" "+line)
	p.mu.Unlock()
	if first && p.during != nil {
		p.during(ref.ExecutionID)
	}
}

func (p *fakePublisher) End(ref LogRef, status core.ExecStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, ref.ExecutionID+" end "+string(status))
}

func (p *fakePublisher) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.events)
}

// liveEngine is a real engine publishing to pub, with a function that
// prints a line and returns its execution id.
func liveEngine(t *testing.T, pub LogPublisher) (*Engine, *Recorder, core.ExecutionStore, *core.Function) {
	t.Helper()
	d := newLinuxns(t)
	if err := d.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the linuxns sandbox cannot run here: %v", err)
		}
		t.Skipf("the linuxns sandbox cannot run here: %v", err)
	}
	st, fn := fixture(t)
	b, err := bundle.FromFiles(map[string][]byte{"index.js": []byte(
		`exports.handler = async (e, c) => { console.log("hi " + c.awsRequestId); if (e.fail) throw new Error("no"); return c.awsRequestId; };`)})
	if err != nil {
		t.Fatal(err)
	}
	fn.Code, fn.CodeSHA256 = b.Archive, b.SHA256
	rec := NewRecorder(st, zap.NewNop(), 64, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	e := New(Options{Driver: d, Recorder: rec, Log: zap.NewNop(), IdleTTL: time.Hour, Logs: pub})
	go rec.Run(ctx)
	t.Cleanup(func() { e.Close(); cancel(); <-rec.Done() })
	return e, rec, st, fn
}

// TestLiveLogsAndRunningRecord: a call is recorded as running while it
// runs, publishes its lines live and then its end; a call given an
// execution id and attempt runs under them and, kept open, publishes no end.
func TestLiveLogsAndRunningRecord(t *testing.T) {
	pub := &fakePublisher{}
	e, rec, st, fn := liveEngine(t, pub)
	var during core.Execution
	pub.during = func(id string) {
		if e, ok := rec.Pending(id); ok {
			during = e
		} else if e, err := st.Execution(context.Background(), fn.OwnerID, id); err == nil {
			during = *e
		}
	}
	out, err := e.Invoke(t.Context(), Call{Function: fn, Version: "$LATEST", Event: []byte(`{}`), Trigger: "api"})
	if err != nil || out.Execution.Status != core.ExecSucceeded {
		t.Fatalf("call: %v %+v", err, out)
	}
	id := out.Execution.ID
	if during.ID != id || during.Status != core.ExecRunning || during.Attempts != 1 {
		t.Fatalf("while running the record was %+v", during)
	}
	if got, want := pub.seen(), []string{id + " stdout hi " + id, id + " end succeeded"}; !slices.Equal(got, want) {
		t.Fatalf("published %q, want %q", got, want)
	}

	pub.events, pub.during = nil, nil
	const given = "0190d000-0000-7000-8000-000000000001"
	out, err = e.Invoke(t.Context(), Call{
		Function: fn, Version: "$LATEST", Event: []byte(`{"fail":true}`), Trigger: core.TriggerAsync,
		ExecutionID: given, Attempt: 2, KeepStreamOpen: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if x := out.Execution; x.ID != given || x.Attempts != 2 || x.Status != core.ExecFailed || x.Trigger != core.TriggerAsync {
		t.Fatalf("async attempt recorded %+v", x)
	}
	if got, want := pub.seen(), []string{given + " stdout hi " + given}; !slices.Equal(got, want) {
		t.Fatalf("published %q, want %q (no end while kept open)", got, want)
	}
	if err := rec.AwaitWritten(t.Context(), given); err != nil {
		t.Fatal(err)
	}
}

// TestRecorderKeepsLatestState: a record never replaces a pending later
// state of its execution, and AwaitWritten returns once the latest is
// written.
func TestRecorderKeepsLatestState(t *testing.T) {
	st, fn := fixture(t)
	rec := NewRecorder(st, zap.NewNop(), 64, time.Hour) // writes only when asked
	done := record(fn, core.ExecSucceeded)
	done.Attempts, done.Trigger = 1, core.TriggerAsync
	queued := done
	queued.Status, queued.Attempts = core.ExecQueued, 0
	if err := rec.Add(done); err != nil {
		t.Fatal(err)
	}
	if err := rec.Add(queued); err != nil {
		t.Fatal(err)
	}
	if got, _ := rec.Pending(done.ID); got.Status != core.ExecSucceeded {
		t.Fatalf("a late queued record replaced %s", got.Status)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := rec.AwaitWritten(ctx, done.ID); err == nil {
		t.Fatal("AwaitWritten returned before any write")
	}
	runCtx, stop := context.WithCancel(context.Background())
	go rec.Run(runCtx)
	rec.wake <- struct{}{}
	if err := rec.AwaitWritten(t.Context(), done.ID); err != nil {
		t.Fatal(err)
	}
	got, err := st.Execution(t.Context(), fn.OwnerID, done.ID)
	if err != nil || got.Status != core.ExecSucceeded {
		t.Fatalf("written %+v, %v", got, err)
	}
	stop()
	<-rec.Done()
}
