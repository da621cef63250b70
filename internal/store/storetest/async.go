package storetest

import (
	"testing"

	"github.com/voltrun/voltrun/internal/core"
)

// testAsyncSettings checks a function's async retry settings are kept, and
// unset ones (below 1) are stored and filled in as the defaults.
func testAsyncSettings(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "async-settings@example.com")
	f := sampleFunction(u.ID, "retrier")
	if err := s.CreateFunction(ctx, f); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	wantAsync := func(attempts, baseMS int) {
		t.Helper()
		if f.AsyncMaxAttempts != attempts || f.AsyncRetryBaseMS != baseMS {
			t.Fatalf("filled in %d/%d, want %d/%d", f.AsyncMaxAttempts, f.AsyncRetryBaseMS, attempts, baseMS)
		}
		got, err := s.Function(ctx, u.ID, f.ID)
		if err != nil {
			t.Fatalf("Function: %v", err)
		}
		listed, _, err := s.ListFunctions(ctx, u.ID, core.Page{})
		if err != nil || len(listed) != 1 {
			t.Fatalf("ListFunctions: %v, %v", listed, err)
		}
		for _, g := range []*core.Function{got, &listed[0]} {
			if g.AsyncMaxAttempts != attempts || g.AsyncRetryBaseMS != baseMS {
				t.Fatalf("stored %d/%d, want %d/%d", g.AsyncMaxAttempts, g.AsyncRetryBaseMS, attempts, baseMS)
			}
		}
	}
	wantAsync(core.DefaultAsyncMaxAttempts, core.DefaultAsyncRetryBaseMS)
	f.AsyncMaxAttempts, f.AsyncRetryBaseMS = 7, 250
	if err := s.UpdateFunction(ctx, f); err != nil {
		t.Fatalf("UpdateFunction: %v", err)
	}
	wantAsync(7, 250)
	f.AsyncMaxAttempts, f.AsyncRetryBaseMS = 0, -1
	if err := s.UpdateFunction(ctx, f); err != nil {
		t.Fatalf("UpdateFunction: %v", err)
	}
	wantAsync(core.DefaultAsyncMaxAttempts, core.DefaultAsyncRetryBaseMS)
}

// testExecutionOrdering checks a record never replaces a stored later
// state of its execution, whatever order the saves come in.
func testExecutionOrdering(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "ordering@example.com")
	f := newFunction(t, s, u.ID, "ordered")
	state := func(base core.Execution, status core.ExecStatus, attempts int) core.Execution {
		base.Status, base.Attempts, base.Trigger = status, attempts, core.TriggerAsync
		return base
	}
	base := sampleExecution(t, f, core.ExecQueued)
	queued := state(base, core.ExecQueued, 0)
	running1 := state(base, core.ExecRunning, 1)
	failed1 := state(base, core.ExecFailed, 1)
	running2 := state(base, core.ExecRunning, 2)
	done2 := state(base, core.ExecSucceeded, 2)
	dead2 := state(base, core.ExecDeadLettered, 2)

	tests := []struct {
		name  string
		saves []core.Execution
		want  core.Execution
	}{
		{"in order", []core.Execution{queued, running1, failed1, running2, done2}, done2},
		{"queued last", []core.Execution{running1, failed1, queued}, failed1},
		{"queued after success", []core.Execution{done2, queued}, done2},
		{"earlier attempt last", []core.Execution{running2, failed1}, running2},
		{"same attempt, later status", []core.Execution{failed1, running2, dead2}, dead2},
		{"queued again", []core.Execution{queued, queued}, queued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := sampleExecution(t, f, core.ExecQueued).ID
			for _, e := range tt.saves {
				e.ID = id
				saveExecutions(t, s, e)
			}
			got, err := s.Execution(ctx, u.ID, id)
			if err != nil {
				t.Fatalf("Execution: %v", err)
			}
			if got.Status != tt.want.Status || got.Attempts != tt.want.Attempts {
				t.Fatalf("stored %s after %d attempts, want %s after %d", got.Status, got.Attempts, tt.want.Status, tt.want.Attempts)
			}
		})
	}

	// One batch holding both states keeps the later one too.
	id := sampleExecution(t, f, core.ExecQueued).ID
	first, second := done2, queued
	first.ID, second.ID = id, id
	saveExecutions(t, s, first)
	saveExecutions(t, s, second, second)
	if got, err := s.Execution(ctx, u.ID, id); err != nil || got.Status != core.ExecSucceeded {
		t.Fatalf("after a late queued batch: %v, %v", got, err)
	}
}
