package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// testLastInvocations checks each function's latest execution: the
// highest id, in its latest saved state, of the owner's functions only.
func testLastInvocations(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "last@example.com")
	other := newUser(t, s, "last-other@example.com")
	idle := newFunction(t, s, u.ID, "idle")
	busy := newFunction(t, s, u.ID, "busy")
	async := newFunction(t, s, u.ID, "async")
	theirs := newFunction(t, s, other.ID, "theirs")

	last := func(owner string, ids ...string) map[string]core.LastInvocation {
		t.Helper()
		got, err := s.LastInvocations(ctx, owner, ids)
		if err != nil {
			t.Fatalf("LastInvocations: %v", err)
		}
		if got == nil {
			t.Fatalf("LastInvocations returned a nil map")
		}
		return got
	}
	if got := last(u.ID, idle.ID, busy.ID); len(got) != 0 {
		t.Fatalf("no executions yet, got %+v", got)
	}

	// The latest by id, whatever the order saved in; its status and start.
	t0 := time.Date(2030, 2, 3, 4, 5, 6, 789123456, time.UTC)
	older := meteredExecution(t, busy, core.ExecSucceeded, t0.Add(time.Hour), 128, 10, 10)
	newer := meteredExecution(t, busy, core.ExecRunning, t0, 128, 0, 0)
	saveExecutions(t, s, newer, older)
	wantLast(t, last(u.ID, busy.ID, idle.ID), busy.ID, newer.ID, core.ExecRunning, storedTime(t0))
	newer.Status, newer.DurationMS, newer.FinishedAt = core.ExecTimeout, 10000, t0.Add(10*time.Second)
	saveExecutions(t, s, newer)
	got := last(u.ID, busy.ID, idle.ID)
	wantLast(t, got, busy.ID, newer.ID, core.ExecTimeout, storedTime(t0))
	if _, ok := got[idle.ID]; ok || len(got) != 1 {
		t.Errorf("idle function listed: %+v", got)
	}

	// An asynchronous call not yet run: queued, at the time it was saved.
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	queued := core.Execution{
		ID: id.String(), FunctionID: async.ID, OwnerID: u.ID, FunctionName: async.Name, Version: "$LATEST",
		Trigger: core.TriggerAsync, Status: core.ExecQueued, MemoryMB: 128,
	}
	saveExecutions(t, s, queued)
	l := last(u.ID, async.ID)[async.ID]
	if l.ExecutionID != queued.ID || l.Status != core.ExecQueued || l.Attempts != 0 {
		t.Errorf("queued call: %+v", l)
	}
	wantStoredTime(t, "queued call's At", l.At)
	ran := queued
	ran.Status, ran.Attempts, ran.StartedAt, ran.DurationMS = core.ExecFailed, 1, t0, 5
	ran.FinishedAt = t0.Add(5 * time.Millisecond)
	saveExecutions(t, s, ran)
	wantLast(t, last(u.ID, async.ID), async.ID, ran.ID, core.ExecFailed, storedTime(t0))
	if l := last(u.ID, async.ID)[async.ID]; l.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", l.Attempts)
	}

	// Other owners' functions, malformed and unknown ids are left out; an
	// id in another case and twice is found once.
	saveExecutions(t, s, meteredExecution(t, theirs, core.ExecSucceeded, t0, 128, 1, 1))
	got = last(u.ID, theirs.ID, "busy", "", uuid.NewString(), strings.ToUpper(busy.ID), busy.ID)
	if len(got) != 1 {
		t.Errorf("got %+v, want busy only", got)
	}
	wantLast(t, got, busy.ID, newer.ID, core.ExecTimeout, storedTime(t0))
	if got := last(other.ID, theirs.ID, busy.ID); len(got) != 1 || got[theirs.ID].Status != core.ExecSucceeded {
		t.Errorf("other owner: %+v", got)
	}
	if got := last("nobody", busy.ID); len(got) != 0 {
		t.Errorf("malformed owner: %+v", got)
	}
	if got := last(u.ID); len(got) != 0 {
		t.Errorf("no ids: %+v", got)
	}

	// A page of functions, each with a few executions, in one call.
	var ids []string
	want := map[string]core.Execution{}
	for i := range 30 {
		f := newFunction(t, s, u.ID, fmt.Sprintf("page-%d", i))
		ids = append(ids, f.ID)
		var batch []core.Execution
		for j := range 3 {
			batch = append(batch, meteredExecution(t, f, core.ExecSucceeded, t0.Add(time.Duration(j)*time.Minute), 128, int64(j), int64(j)))
		}
		batch[2].Status = core.ExecKilled
		want[f.ID] = batch[2]
		slices.Reverse(batch)
		saveExecutions(t, s, batch...)
	}
	got = last(u.ID, ids...)
	if len(got) != len(ids) {
		t.Fatalf("%d functions found, want %d", len(got), len(ids))
	}
	for id, e := range want {
		wantLast(t, got, id, e.ID, core.ExecKilled, storedTime(e.StartedAt))
	}

	// A deleted function has no executions left.
	if err := s.DeleteFunction(ctx, u.ID, busy.ID); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	if got := last(u.ID, busy.ID); len(got) != 0 {
		t.Errorf("deleted function: %+v", got)
	}
}

func wantLast(t *testing.T, got map[string]core.LastInvocation, fnID, execID string, status core.ExecStatus, at time.Time) {
	t.Helper()
	l, ok := got[fnID]
	if !ok {
		t.Fatalf("function %s not found in %+v", fnID, got)
	}
	if l.ExecutionID != execID || l.Status != status || !l.At.Equal(at) || l.At.Location() != time.UTC {
		t.Errorf("function %s: %+v, want execution %s, %s at %v", fnID, l, execID, status, at)
	}
}
