package api

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// wantLastInvocation fails t unless the function object fn says it was
// last invoked at at with status, or has both null when status is "".
func wantLastInvocation(t *testing.T, fn map[string]any, status core.ExecStatus, at time.Time) {
	t.Helper()
	gotAt, okAt := fn["last_invoked_at"]
	gotStatus, okStatus := fn["last_status"]
	if !okAt || !okStatus {
		t.Fatalf("function %v lacks last_invoked_at or last_status", fn["name"])
	}
	if status == "" {
		if gotAt != nil || gotStatus != nil {
			t.Errorf("function %v: last_invoked_at %v, last_status %v; want null", fn["name"], gotAt, gotStatus)
		}
		return
	}
	if gotStatus != string(status) {
		t.Errorf("function %v: last_status %v, want %s", fn["name"], gotStatus, status)
	}
	s, _ := gotAt.(string)
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !parsed.Equal(at) || parsed.Location() != time.UTC {
		t.Errorf("function %v: last_invoked_at %v, want %v in RFC 3339 UTC", fn["name"], gotAt, at.UTC().Format(time.RFC3339Nano))
	}
}

// TestFunctionLastInvocation: function objects carry the latest
// execution's start and status, stored or pending on this node, whichever
// is later; the list reads the store once for the whole page.
func TestFunctionLastInvocation(t *testing.T) {
	s := newTestServer(t)
	stored := s.addFunction("stored")
	idle := s.addFunction("idle")
	newer := s.addFunction("newer-pending")
	raced := s.addFunction("raced")
	queued := s.addFunction("queued")
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 678000000, time.UTC)
	id := func() string { return uuid.Must(uuid.NewV7()).String() }

	ranOther := id()
	racedID := id()
	s.store.last = map[string]core.LastInvocation{
		stored.ID: {ExecutionID: id(), Status: core.ExecSucceeded, Attempts: 1, At: t0},
		newer.ID:  {ExecutionID: ranOther, Status: core.ExecFailed, Attempts: 1, At: t0},
		// Run by a worker elsewhere while this node still holds it queued.
		raced.ID: {ExecutionID: racedID, Status: core.ExecTimeout, Attempts: 1, At: t0},
	}
	queuedID := uuid.Must(uuid.NewV7())
	s.store.pending = []core.Execution{
		{ID: id(), FunctionID: newer.ID, OwnerID: s.owner, Status: core.ExecRunning, Attempts: 1, StartedAt: t0.Add(time.Minute)},
		{ID: racedID, FunctionID: raced.ID, OwnerID: s.owner, Status: core.ExecQueued, Trigger: core.TriggerAsync},
		{ID: queuedID.String(), FunctionID: queued.ID, OwnerID: s.owner, Status: core.ExecQueued, Trigger: core.TriggerAsync},
	}
	queuedAt := time.Unix(queuedID.Time().UnixTime()).UTC()

	list := s.get(t, "/api/functions", 200)
	if s.store.lastCalls != 1 {
		t.Errorf("the list read last invocations %d times, want once", s.store.lastCalls)
	}
	byName := map[string]map[string]any{}
	for _, it := range list["items"].([]any) {
		fn := it.(map[string]any)
		byName[fn["name"].(string)] = fn
	}
	if len(byName) != 5 {
		t.Fatalf("listed %d functions, want 5", len(byName))
	}
	wantLastInvocation(t, byName["stored"], core.ExecSucceeded, t0)
	wantLastInvocation(t, byName["idle"], "", time.Time{})
	wantLastInvocation(t, byName["newer-pending"], core.ExecRunning, t0.Add(time.Minute))
	wantLastInvocation(t, byName["raced"], core.ExecTimeout, t0)
	wantLastInvocation(t, byName["queued"], core.ExecQueued, queuedAt)

	for _, tc := range []struct {
		ref    string
		status core.ExecStatus
		at     time.Time
	}{
		{stored.ID, core.ExecSucceeded, t0},
		{"stored", core.ExecSucceeded, t0},
		{idle.ID, "", time.Time{}},
		{newer.Name, core.ExecRunning, t0.Add(time.Minute)},
	} {
		wantLastInvocation(t, s.get(t, "/api/functions/"+tc.ref, 200), tc.status, tc.at)
	}
}
