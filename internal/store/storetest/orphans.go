package storetest

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// testExecutionOrphans checks records of functions deleted while they ran
// are dropped without failing the rest of their batch.
func testExecutionOrphans(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "orphan@example.com")
	other := newUser(t, s, "orphan-other@example.com")
	f := newFunction(t, s, u.ID, "kept")
	gone := newFunction(t, s, u.ID, "gone")
	if err := s.DeleteFunction(ctx, u.ID, gone.ID); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	good := sampleExecution(t, f, core.ExecSucceeded)
	ofDeleted := sampleExecution(t, gone, core.ExecSucceeded)
	unknownFn := sampleExecution(t, f, core.ExecSucceeded)
	unknownFn.FunctionID = uuid.NewString()
	unknownOwner := sampleExecution(t, f, core.ExecSucceeded)
	unknownOwner.OwnerID = uuid.NewString()
	wrongOwner := sampleExecution(t, f, core.ExecSucceeded)
	wrongOwner.OwnerID = other.ID

	saveExecutions(t, s, ofDeleted, good, unknownFn, unknownOwner, wrongOwner)
	wantExecutionIDs(t, s, f, good.ID)
	for _, e := range []core.Execution{ofDeleted, unknownFn, unknownOwner, wrongOwner} {
		if _, err := s.Execution(ctx, e.OwnerID, e.ID); !core.IsNotFound(err) {
			t.Errorf("orphan %s: Execution = %v, want not found", e.ID, err)
		}
	}
	saveExecutions(t, s, ofDeleted) // a batch of orphans only
}

// testExecutionCascade checks deleting a function deletes its executions.
func testExecutionCascade(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "cascade@example.com")
	f := newFunction(t, s, u.ID, "short-lived")
	keep := newFunction(t, s, u.ID, "long-lived")
	doomed := []core.Execution{sampleExecution(t, f, core.ExecSucceeded), sampleExecution(t, f, core.ExecFailed)}
	kept := sampleExecution(t, keep, core.ExecSucceeded)
	saveExecutions(t, s, append(doomed, kept)...)

	if err := s.DeleteFunction(ctx, u.ID, f.ID); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	for _, e := range doomed {
		_, err := s.Execution(ctx, u.ID, e.ID)
		wantCode(t, err, core.CodeNotFound)
	}
	wantExecutionIDs(t, s, f)
	wantExecutionIDs(t, s, keep, kept.ID)
	// A new function of the same name starts with no history.
	wantExecutionIDs(t, s, newFunction(t, s, u.ID, "short-lived"))
}

// testExecutionDeleteRace deletes a function while its executions are being
// saved: no batch may fail, and none of its executions may outlive it.
func testExecutionDeleteRace(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "race-exec@example.com")
	f := newFunction(t, s, u.ID, "racing")
	keep := newFunction(t, s, u.ID, "steady")
	const savers, batches = 4, 5
	errs := make([]error, savers*batches)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range savers {
		wg.Go(func() {
			<-start
			for j := range batches {
				execs := []core.Execution{sampleExecution(t, keep, core.ExecSucceeded)}
				for range 20 {
					execs = append(execs, sampleExecution(t, f, core.ExecSucceeded))
				}
				errs[i*batches+j] = s.SaveExecutions(ctx, execs)
			}
		})
	}
	wg.Go(func() {
		<-start
		if err := s.DeleteFunction(ctx, u.ID, f.ID); err != nil {
			t.Errorf("DeleteFunction: %v", err)
		}
	})
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("SaveExecutions during a delete: %v", err)
		}
	}
	wantExecutionIDs(t, s, f)
	all, _, err := s.ListExecutions(ctx, u.ID, core.ExecutionFilter{FunctionID: keep.ID}, core.Page{Limit: core.MaxPageLimit})
	if err != nil || len(all) != savers*batches {
		t.Fatalf("executions of the kept function = %d, %v; want %d", len(all), err, savers*batches)
	}
}
