package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

func TestLiveLogsPubSub(t *testing.T) {
	fx := newFixture(t)
	owner, fnID := fx.fn.OwnerID, fx.fn.ID
	type got struct {
		mu   sync.Mutex
		msgs []string
	}
	subscribe := func(ownerID, functionID, executionID string) *got {
		g := &got{}
		stop, err := fx.q.SubscribeLogs(ownerID, functionID, executionID, func(m []byte, end bool) {
			g.mu.Lock()
			defer g.mu.Unlock()
			var v map[string]any
			if err := json.Unmarshal(m, &v); err != nil {
				t.Errorf("message %s: %v", m, err)
			}
			if end != (v["type"] == "end") {
				t.Errorf("end flag %v on %s", end, m)
			}
			str := func(k string) string { s, _ := v[k].(string); return s }
			g.msgs = append(g.msgs, str("execution_id")+" "+str("stream")+str("type")+" "+str("line")+str("status"))
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		return g
	}
	one, two := uuid.NewString(), uuid.NewString()
	whole := subscribe(owner, fnID, "")
	single := subscribe(owner, "", one)
	stranger := subscribe(uuid.NewString(), fnID, "")
	if _, err := fx.q.SubscribeLogs(owner, "a.b", "", func([]byte, bool) {}); err == nil {
		t.Fatal("a subject wildcard in an id was accepted")
	}

	ref1 := engine.LogRef{OwnerID: owner, FunctionID: fnID, ExecutionID: one}
	ref2 := engine.LogRef{OwnerID: owner, FunctionID: fnID, ExecutionID: two}
	fx.q.Line(ref1, "stdout", "hello")
	fx.q.Line(ref2, "stderr", "other")
	fx.q.Line(ref1, "stderr", "bad \xff byte")
	fx.q.End(ref1, core.ExecSucceeded)
	want1 := []string{one + " stdout hello", one + " stderr bad \uFFFD byte", one + " end succeeded"}
	waitFor(t, "the execution's messages", func() bool {
		single.mu.Lock()
		defer single.mu.Unlock()
		return len(single.msgs) == len(want1)
	})
	if !slices.Equal(single.msgs, want1) {
		t.Fatalf("execution stream %q, want %q", single.msgs, want1)
	}
	waitFor(t, "the function's messages", func() bool {
		whole.mu.Lock()
		defer whole.mu.Unlock()
		return len(whole.msgs) == 4
	})
	if whole.msgs[1] != two+" stderr other" {
		t.Fatalf("function stream %q", whole.msgs)
	}
	if len(stranger.msgs) != 0 {
		t.Fatalf("another owner saw %q", stranger.msgs)
	}
}

// TestLiveLogsOnlyWhenWatched: on the embedded server, the lines and end
// of an execution nobody follows are not published, as they would reach no
// one; while a reader follows it, they are.
func TestLiveLogsOnlyWhenWatched(t *testing.T) {
	fx := newFixture(t)
	ref := engine.LogRef{OwnerID: fx.fn.OwnerID, FunctionID: fx.fn.ID, ExecutionID: uuid.NewString()}
	count := func(result string) float64 {
		var m dto.Metric
		if err := fx.q.metrics.logLines.WithLabelValues(result).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetCounter().GetValue()
	}
	fx.q.Line(ref, "stdout", "nobody reads this")
	fx.q.End(ref, core.ExecSucceeded)
	if u, p := count("unwatched"), count("published"); u != 2 || p != 0 {
		t.Fatalf("unfollowed: %v unwatched, %v published; want 2 and 0", u, p)
	}

	var mu sync.Mutex
	var got []string
	stop, err := fx.q.SubscribeLogs(ref.OwnerID, "", ref.ExecutionID, func(m []byte, end bool) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, fmt.Sprintf("%s end=%v", m, end))
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.q.Line(ref, "stdout", "read")
	fx.q.End(ref, core.ExecSucceeded)
	waitFor(t, "the followed execution's line and end", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 2
	})
	if !strings.Contains(got[0], `"line":"read"`) || !strings.HasSuffix(got[1], "end=true") {
		t.Fatalf("followed: %q", got)
	}
	if u, p := count("unwatched"), count("published"); u != 2 || p != 2 {
		t.Fatalf("followed: %v unwatched, %v published; want 2 and 2", u, p)
	}

	stop()
	waitFor(t, "lines to go unpublished again once the reader left", func() bool {
		fx.q.Line(ref, "stdout", "gone")
		return count("unwatched") > 2
	})
}

func TestAsyncRetriesThenDeadLetters(t *testing.T) {
	fx := newFixture(t)
	inv := &fakeInvoker{rec: fx.rec, run: func(engine.Call, int) (core.ExecStatus, error) { return core.ExecFailed, nil }}
	var hooked []*core.Execution
	var mu sync.Mutex
	fx.worker(t, inv, hookFunc(func(_ context.Context, e *core.Execution) {
		mu.Lock()
		hooked = append(hooked, e)
		mu.Unlock()
	}))
	id := fx.enqueue(t, core.LatestVersion, `{"n":1}`)
	waitFor(t, "dead letter", func() bool { e, _ := fx.rec.get(id); return e.Status == core.ExecDeadLettered })
	e, _ := fx.rec.get(id)
	if e.Attempts != 3 || e.Reason != "failed" || e.Error == nil || e.Error.Message != "boom" {
		t.Fatalf("dead letter %+v", e)
	}
	calls := inv.seen()
	if len(calls) != 3 {
		t.Fatalf("%d runs, want 3", len(calls))
	}
	for i, c := range calls {
		if c.c.ExecutionID != id || c.c.Attempt != i+1 || !c.c.KeepStreamOpen || c.c.Trigger != core.TriggerAsync || string(c.c.Event) != `{"n":1}` {
			t.Fatalf("run %d: %+v", i+1, c.c)
		}
	}
	// Backoff: 100 ms, then 200 ms, each within ±20% (and some slack).
	for i, base := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		if gap := calls[i+1].at.Sub(calls[i].at); gap < base*8/10 || gap > base*3+time.Second {
			t.Fatalf("gap before attempt %d: %v, want about %v", i+2, gap, base)
		}
	}
	mu.Lock()
	if len(hooked) != 1 || hooked[0].ID != id {
		t.Fatalf("hook saw %v", hooked)
	}
	mu.Unlock()
	waitFor(t, "the acknowledgement", func() bool { return fx.streamMsgs(t) == 0 })
}

func TestAsyncAcksOnlyWrittenRecords(t *testing.T) {
	fx := newFixture(t)
	fx.rec.hold = make(chan struct{})
	busy := 0
	inv := &fakeInvoker{rec: fx.rec, run: func(_ engine.Call, n int) (core.ExecStatus, error) {
		if n <= 2 { // at the concurrency cap twice: waits, spends no attempt
			busy++
			return "", core.Errorf(core.CodeRateLimited, "busy")
		}
		return core.ExecSucceeded, nil
	}}
	fx.worker(t, inv, nil)
	id := fx.enqueue(t, core.LatestVersion, `{}`)
	waitFor(t, "success", func() bool { e, _ := fx.rec.get(id); return e.Status == core.ExecSucceeded })
	if e, _ := fx.rec.get(id); e.Attempts != 1 || busy != 2 {
		t.Fatalf("after waiting for a slot: %+v (busy %d)", e, busy)
	}
	time.Sleep(300 * time.Millisecond)
	if n := fx.streamMsgs(t); n != 1 {
		t.Fatalf("acknowledged before the record was written (%d messages left)", n)
	}
	close(fx.rec.hold)
	waitFor(t, "the acknowledgement", func() bool { return fx.streamMsgs(t) == 0 })
}

func TestAsyncDeletedFunctionOrVersion(t *testing.T) {
	fx := newFixture(t)
	inv := &fakeInvoker{rec: fx.rec, run: func(engine.Call, int) (core.ExecStatus, error) { return core.ExecSucceeded, nil }}
	fx.fns.versions[fx.fn.ID+"/1"] = &core.Version{FunctionID: fx.fn.ID, Number: 1, Handler: "v1.handler"}
	v1 := fx.enqueue(t, "1", `{}`)
	gone := fx.enqueue(t, "2", `{}`) // version 2 does not exist (deleted)
	fx.worker(t, inv, nil)
	waitFor(t, "both", func() bool {
		a, _ := fx.rec.get(v1)
		b, _ := fx.rec.get(gone)
		return a.Status == core.ExecSucceeded && b.Status == core.ExecDeadLettered
	})
	if b, _ := fx.rec.get(gone); b.Reason != ReasonVersionDeleted {
		t.Fatalf("deleted version: %+v", b)
	}
	for _, c := range inv.seen() {
		if c.c.Version != "1" || c.c.Function.Handler != "v1.handler" {
			t.Fatalf("ran %+v", c.c)
		}
	}

	fx.fns.mu.Lock()
	delete(fx.fns.fns, fx.fn.ID)
	fx.fns.mu.Unlock()
	dropped := fx.enqueue(t, core.LatestVersion, `{}`)
	waitFor(t, "the drop", func() bool { return fx.streamMsgs(t) == 0 })
	if e, _ := fx.rec.get(dropped); e.Status != core.ExecQueued || len(inv.seen()) != 1 {
		t.Fatalf("a deleted function's call ran: %+v", e)
	}
}

// TestAsyncSurvivesRestart: calls queued while no worker runs, and one
// claimed by a worker that vanished, all run after the queue reopens on
// the same directory.
func TestAsyncSurvivesRestart(t *testing.T) {
	rec := newMemRecorder()
	dir := t.TempDir()
	fn := &core.Function{ID: uuid.NewString(), OwnerID: uuid.NewString(), Name: "fn", AsyncMaxAttempts: 3, AsyncRetryBaseMS: 100}
	fns := &memFunctions{fns: map[string]*core.Function{fn.ID: fn}, rec: rec}
	q := openQueue(t, dir, rec)
	var ids []string
	for i := range 5 {
		e, err := q.Enqueue(t.Context(), engine.Call{Function: fn, Version: core.LatestVersion, Event: fmt.Appendf(nil, `{"n":%d}`, i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	// A worker claims one call and disappears without an answer.
	if _, err := q.cons.Next(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	q = openQueue(t, dir, rec)
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	inv := &fakeInvoker{rec: rec, run: func(engine.Call, int) (core.ExecStatus, error) { return core.ExecSucceeded, nil }}
	w := NewWorker(q, WorkerOptions{Invoker: inv, Functions: fns, Concurrency: 2})
	w.Start(t.Context())
	defer w.Stop(5 * time.Second)
	waitFor(t, "every call", func() bool {
		for _, id := range ids {
			if e, _ := rec.get(id); e.Status != core.ExecSucceeded {
				return false
			}
		}
		return true
	})
	attempts := 0
	for _, id := range ids {
		e, _ := rec.get(id)
		attempts += e.Attempts
	}
	if attempts != len(ids)+1 { // the claimed call's first delivery counted
		t.Fatalf("%d attempts over %d calls, want one extra for the abandoned delivery", attempts, len(ids))
	}
}

func TestEnqueueRefusesOversizeEvents(t *testing.T) {
	fx := newFixture(t)
	_, err := fx.q.Enqueue(t.Context(), engine.Call{Function: fx.fn, Version: core.LatestVersion, Event: []byte(`"` + strings.Repeat("x", 7<<20) + `"`)})
	if core.ErrorCode(err) != core.CodePayloadTooLarge {
		t.Fatalf("7 MiB event: %v", err)
	}
	if err := fx.q.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// BenchmarkLine measures what publishing a live line costs the goroutine
// that reads the function's output.
func BenchmarkLine(b *testing.B) {
	q, err := Open(b.Context(), Options{DataDir: b.TempDir(), Recorder: newMemRecorder()})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close(context.Background())
	ref := engine.LogRef{OwnerID: uuid.NewString(), FunctionID: uuid.NewString(), ExecutionID: uuid.NewString()}
	line := strings.Repeat("x", 80)
	b.ReportAllocs()
	for b.Loop() {
		q.Line(ref, "stdout", line)
	}
}

// TestEmbeddedListen: the embedded server opens a port only when asked,
// and then requires its credentials of every client.
func TestEmbeddedListen(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	q, err := Open(t.Context(), Options{
		DataDir: t.TempDir(), Listen: addr, ListenUser: "node", ListenPassword: "s3cret", Recorder: newMemRecorder(),
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer q.Close(context.Background())
	if err := q.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if nc, err := nats.Connect("nats://" + addr); err == nil {
		nc.Close()
		t.Fatal("connected without credentials")
	}
	nc, err := nats.Connect("nats://node:s3cret@" + addr)
	if err != nil {
		t.Fatalf("connect with credentials: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(t.Context(), "VOLTRUN_ASYNC"); err != nil {
		t.Fatalf("another node cannot see the stream: %v", err)
	}

	// Without Listen there is no port at all.
	q2, err := Open(t.Context(), Options{DataDir: t.TempDir(), Recorder: newMemRecorder()})
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close(context.Background())
	if q2.srv.Addr() != nil {
		t.Fatalf("the embedded server listens on %v", q2.srv.Addr())
	}
}

// TestAsyncWaitsForAccountConcurrency: a call refused because its owner's
// account runs its maximum of concurrent executions waits for a slot, as
// at the function's own cap, and spends no attempt.
func TestAsyncWaitsForAccountConcurrency(t *testing.T) {
	fx := newFixture(t)
	refused := 0
	inv := &fakeInvoker{rec: fx.rec, run: func(_ engine.Call, n int) (core.ExecStatus, error) {
		if n <= 3 {
			refused++
			return "", &core.Error{Code: core.CodeQuotaExceeded, Message: "all 2 concurrent executions are running", RetryAfter: time.Second}
		}
		return core.ExecSucceeded, nil
	}}
	fx.worker(t, inv, nil)
	id := fx.enqueue(t, core.LatestVersion, `{}`)
	waitFor(t, "success", func() bool { e, _ := fx.rec.get(id); return e.Status == core.ExecSucceeded })
	if e, _ := fx.rec.get(id); e.Attempts != 1 || refused != 3 {
		t.Fatalf("after waiting for the account: %+v (refused %d times)", e, refused)
	}
	for _, c := range inv.seen() {
		if c.c.Attempt != 1 {
			t.Fatalf("a refused run spent an attempt: %+v", c.c)
		}
	}
}

// TestAsyncMonthlyQuotaDeadLetters: a call whose owner's monthly quota ran
// out after it was accepted is dead-lettered at once with reason
// quota_exceeded, not retried (a retry would run unbilled).
func TestAsyncMonthlyQuotaDeadLetters(t *testing.T) {
	fx := newFixture(t)
	inv := &fakeInvoker{rec: fx.rec, run: func(engine.Call, int) (core.ExecStatus, error) {
		return "", &core.Error{Code: core.CodeQuotaExceeded, Message: "the monthly invocations are used up", RetryAfter: 20 * 24 * time.Hour}
	}}
	fx.worker(t, inv, nil)
	id := fx.enqueue(t, core.LatestVersion, `{}`)
	waitFor(t, "dead letter", func() bool { e, _ := fx.rec.get(id); return e.Status == core.ExecDeadLettered })
	e, _ := fx.rec.get(id)
	if e.Reason != ReasonQuotaExceeded || e.Attempts != 1 || e.Error == nil || e.Error.Message != "the monthly invocations are used up" {
		t.Fatalf("dead letter %+v (error %+v)", e, e.Error)
	}
	if n := len(inv.seen()); n != 1 {
		t.Fatalf("%d runs, want 1", n)
	}
	waitFor(t, "the acknowledgement", func() bool { return fx.streamMsgs(t) == 0 })
}
