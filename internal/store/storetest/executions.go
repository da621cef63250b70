package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// sampleExecution is a finished execution of f with every field set, its
// id a new UUIDv7 (so later samples list first).
func sampleExecution(t *testing.T, f *core.Function, status core.ExecStatus) core.Execution {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	return core.Execution{
		ID: id.String(), FunctionID: f.ID, OwnerID: f.OwnerID, FunctionName: f.Name,
		Version: "$LATEST", Trigger: "api", Status: status,
		Input: []byte(`{"n":1}`), Output: []byte(`{"ok":true}`), Logs: "hello ✓\n",
		ColdStart: true, MemoryMB: f.MemoryMB, DurationMS: 12, BilledMS: 100,
		StartedAt: start, FinishedAt: start.Add(12 * time.Millisecond),
	}
}

func saveExecutions(t *testing.T, s core.Store, execs ...core.Execution) {
	t.Helper()
	if err := s.SaveExecutions(t.Context(), execs); err != nil {
		t.Fatalf("SaveExecutions(%d): %v", len(execs), err)
	}
}

// wantSameExecution compares every field, times as stored (UTC,
// microseconds); Input, Output and Logs only when full, else they must be
// absent (listed without them).
func wantSameExecution(t *testing.T, got, want *core.Execution, full bool) {
	t.Helper()
	g, w := *got, *want
	w.StartedAt, w.FinishedAt = storedTime(w.StartedAt), storedTime(w.FinishedAt)
	for what, tm := range map[string]time.Time{"StartedAt": g.StartedAt, "FinishedAt": g.FinishedAt} {
		if tm.Location() != time.UTC {
			t.Errorf("%s location = %v, want UTC", what, tm.Location())
		}
	}
	if full {
		if g.Input == nil || g.Output == nil {
			t.Errorf("Input or Output is nil, want loaded (empty when none)")
		}
		if !bytes.Equal(g.Input, w.Input) || !bytes.Equal(g.Output, w.Output) {
			t.Errorf("Input, Output = %q, %q; want %q, %q", g.Input, g.Output, w.Input, w.Output)
		}
	} else if g.Input != nil || g.Output != nil || g.Logs != "" {
		t.Errorf("listed execution has Input %q, Output %q, Logs %q; want none loaded", g.Input, g.Output, g.Logs)
	}
	g.Input, g.Output, w.Input, w.Output = nil, nil, nil, nil
	if !full {
		w.Logs = ""
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("execution = %+v\nwant %+v", g, w)
	}
}

// storedTime is t as a store keeps it: UTC at microsecond precision.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func testExecutions(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "exec@example.com")
	other := newUser(t, s, "exec-other@example.com")
	f := newFunction(t, s, u.ID, "runner")

	full := sampleExecution(t, f, core.ExecFailed)
	zone := time.FixedZone("UTC-7", -7*3600)
	full.StartedAt = time.Date(2030, 1, 2, 3, 4, 5, 123456789, zone)
	full.FinishedAt = full.StartedAt.Add(1500 * time.Millisecond)
	full.Trigger, full.Reason, full.ColdStart = "http", "out_of_memory", false
	full.Error = &core.FunctionError{Type: "TypeError", Message: "x is undefined ✗", Stack: []string{"at a (index.js:1)", "at b"}}
	full.Input = []byte{0, 1, 0xfe, 0xff} // cut input need not be JSON
	full.InputTruncated, full.OutputTruncated, full.LogsTruncated = true, true, true

	queued := sampleExecution(t, f, core.ExecQueued)
	queued.Input, queued.Output, queued.Logs = nil, nil, ""
	queued.StartedAt, queued.FinishedAt = time.Time{}, time.Time{}
	queued.MemoryMB, queued.DurationMS, queued.BilledMS = 0, 0, 0

	// PostgreSQL text holds neither NUL nor invalid UTF-8, which logs cut
	// at their cap can end with: both become U+FFFD on every database.
	garbled := sampleExecution(t, f, core.ExecSucceeded)
	garbled.Logs, garbled.Reason = "a\x00b"+"é"[:1], "bad\xff"

	saveExecutions(t, s, full, queued, garbled)
	garbled.Logs, garbled.Reason = "a\uFFFDb\uFFFD", "bad\uFFFD"
	for _, want := range []core.Execution{full, queued, garbled} {
		t.Run(string(want.Status), func(t *testing.T) {
			got, err := s.Execution(ctx, u.ID, want.ID)
			if err != nil {
				t.Fatalf("Execution: %v", err)
			}
			if want.Input == nil {
				want.Input, want.Output = []byte{}, []byte{}
			}
			wantSameExecution(t, got, &want, true)
		})
	}

	tests := []struct {
		name      string
		owner, id string
	}{
		{"other owner", other.ID, full.ID},
		{"unknown id", u.ID, uuid.NewString()},
		{"function id", u.ID, f.ID},
		{"malformed id", u.ID, "exec-1"},
		{"empty id", u.ID, ""},
		{"malformed owner", "owner", full.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Execution(ctx, tt.owner, tt.id)
			wantCode(t, err, core.CodeNotFound)
		})
	}
}

// testSaveExecutions checks saves are upserts by id and a bad id refuses
// the whole batch.
func testSaveExecutions(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "save@example.com")
	f := newFunction(t, s, u.ID, "saver")

	running := sampleExecution(t, f, core.ExecRunning)
	running.Output, running.FinishedAt, running.DurationMS = nil, time.Time{}, 0
	saveExecutions(t, s, running)
	done := running
	done.Status, done.Output, done.Logs = core.ExecSucceeded, []byte(`"done"`), "finished\n"
	done.FinishedAt, done.DurationMS = running.StartedAt.Add(time.Second), 1000
	saveExecutions(t, s, done)
	saveExecutions(t, s, done) // the same record again changes nothing
	wantExecutionIDs(t, s, f, done.ID)
	got, err := s.Execution(ctx, u.ID, done.ID)
	if err != nil {
		t.Fatalf("Execution: %v", err)
	}
	wantSameExecution(t, got, &done, true)

	// One id twice in a batch: the later record wins.
	first, second := sampleExecution(t, f, core.ExecRunning), sampleExecution(t, f, core.ExecTimeout)
	second.ID = first.ID
	saveExecutions(t, s, first, second)
	if got, err := s.Execution(ctx, u.ID, first.ID); err != nil || got.Status != core.ExecTimeout {
		t.Fatalf("after a batch with one id twice: %v, %v; want status timeout", got, err)
	}
	wantExecutionIDs(t, s, f, first.ID, done.ID)

	for _, mutate := range []func(*core.Execution){
		func(e *core.Execution) { e.ID = "exec-1" },
		func(e *core.Execution) { e.ID = "" },
		func(e *core.Execution) { e.FunctionID = "fn" },
		func(e *core.Execution) { e.OwnerID = "" },
	} {
		good, bad := sampleExecution(t, f, core.ExecSucceeded), sampleExecution(t, f, core.ExecSucceeded)
		mutate(&bad)
		wantCode(t, s.SaveExecutions(ctx, []core.Execution{good, bad}), core.CodeInvalid)
		if _, err := s.Execution(ctx, u.ID, good.ID); !core.IsNotFound(err) {
			t.Fatalf("a refused batch saved its good record: %v", err)
		}
	}
	for _, none := range [][]core.Execution{nil, {}} {
		if err := s.SaveExecutions(ctx, none); err != nil {
			t.Fatalf("SaveExecutions(%v): %v", none, err)
		}
	}
}

// testExecutionBatch saves a recorder-sized batch in one call.
func testExecutionBatch(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "batch@example.com")
	f := newFunction(t, s, u.ID, "busy")
	statuses := []core.ExecStatus{core.ExecSucceeded, core.ExecFailed, core.ExecTimeout}
	const n = 300
	execs := make([]core.Execution, n)
	for i := range execs {
		execs[i] = sampleExecution(t, f, statuses[i%len(statuses)])
		execs[i].Logs = fmt.Sprintf("call %d\n", i)
	}
	saveExecutions(t, s, execs...)

	all, next, err := s.ListExecutions(ctx, u.ID, core.ExecutionFilter{FunctionID: f.ID}, core.Page{Limit: core.MaxPageLimit})
	if err != nil || len(all) != n || next != "" {
		t.Fatalf("ListExecutions = %d executions, next %q, %v; want %d", len(all), next, err, n)
	}
	for i := range all {
		wantSameExecution(t, &all[i], &execs[n-1-i], false)
	}
	failed, _, err := s.ListExecutions(ctx, u.ID, core.ExecutionFilter{FunctionID: f.ID, Status: core.ExecFailed}, core.Page{})
	if err != nil || len(failed) != core.DefaultPageLimit {
		t.Fatalf("ListExecutions(failed, default limit) = %d, %v; want %d", len(failed), err, core.DefaultPageLimit)
	}
	last, err := s.Execution(ctx, u.ID, execs[n-1].ID)
	if err != nil || last.Logs != fmt.Sprintf("call %d\n", n-1) {
		t.Fatalf("Execution(last) = %v, %v", last, err)
	}
}

// wantExecutionIDs checks f's listed executions are exactly ids, in order.
func wantExecutionIDs(t *testing.T, s core.Store, f *core.Function, ids ...string) {
	t.Helper()
	execs, _, err := s.ListExecutions(t.Context(), f.OwnerID, core.ExecutionFilter{FunctionID: f.ID}, core.Page{})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	got := make([]string, 0, len(execs))
	for _, e := range execs {
		got = append(got, e.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("listed executions %v, want %v", got, ids)
	}
}

func testListExecutions(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "listexec@example.com")
	other := newUser(t, s, "listexec-other@example.com")
	f := newFunction(t, s, u.ID, "listed")
	sibling := newFunction(t, s, u.ID, "sibling")
	theirs := newFunction(t, s, other.ID, "listed")
	statuses := []core.ExecStatus{core.ExecSucceeded, core.ExecFailed, core.ExecSucceeded, core.ExecKilled, core.ExecFailed}
	var created []core.Execution
	for _, st := range statuses {
		created = append(created, sampleExecution(t, f, st))
	}
	// Saved out of order: lists follow ids, not the order of saving.
	saveExecutions(t, s, created[3], created[0], created[4])
	saveExecutions(t, s, created[2], created[1], sampleExecution(t, sibling, core.ExecSucceeded),
		sampleExecution(t, theirs, core.ExecSucceeded))
	newestFirst := slices.Clone(created)
	slices.Reverse(newestFirst)

	for _, tt := range []struct {
		name   string
		status core.ExecStatus
		want   []core.Execution
	}{
		{"all", "", newestFirst},
		{"failed", core.ExecFailed, []core.Execution{created[4], created[1]}},
		{"succeeded", core.ExecSucceeded, []core.Execution{created[2], created[0]}},
		{"killed", core.ExecKilled, []core.Execution{created[3]}},
		{"none", core.ExecTimeout, nil},
		{"unknown status", "exploded", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var listed []core.Execution
			cursor, pages := "", 0
			for {
				execs, next, err := s.ListExecutions(ctx, u.ID,
					core.ExecutionFilter{FunctionID: f.ID, Status: tt.status}, core.Page{Limit: 2, Cursor: cursor})
				if err != nil {
					t.Fatalf("page %d: %v", pages, err)
				}
				if execs == nil || len(execs) > 2 {
					t.Fatalf("page %d = %v, want a non-nil list of at most 2", pages, execs)
				}
				pages++
				listed = append(listed, execs...)
				if next == "" {
					break
				}
				cursor = next
			}
			if len(listed) != len(tt.want) || pages != max(1, (len(tt.want)+1)/2) {
				t.Fatalf("listed %d executions on %d pages, want %d", len(listed), pages, len(tt.want))
			}
			for i := range listed {
				wantSameExecution(t, &listed[i], &tt.want[i], false)
			}
		})
	}

	for _, tt := range []struct {
		name         string
		owner, fnID  string
		wantListedOf *core.Function
	}{
		{"sibling", u.ID, sibling.ID, sibling},
		{"other owner's function", u.ID, theirs.ID, nil},
		{"as other owner", other.ID, f.ID, nil},
		{"empty function id", u.ID, "", nil},
		{"malformed function id", u.ID, "listed", nil},
		{"unknown function", u.ID, uuid.NewString(), nil},
		{"malformed owner", "owner", f.ID, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			execs, next, err := s.ListExecutions(ctx, tt.owner, core.ExecutionFilter{FunctionID: tt.fnID}, core.Page{})
			if err != nil || execs == nil || next != "" {
				t.Fatalf("ListExecutions = %v, %q, %v; want a list and no next page", execs, next, err)
			}
			want := 0
			if tt.wantListedOf != nil {
				want = 1
			}
			if len(execs) != want || (want == 1 && execs[0].FunctionID != tt.wantListedOf.ID) {
				t.Fatalf("ListExecutions = %+v, want %d executions", execs, want)
			}
		})
	}
	for _, cursor := range []string{"!!!", "bm90LWEtdXVpZA", uuid.NewString()} {
		_, _, err := s.ListExecutions(ctx, u.ID, core.ExecutionFilter{FunctionID: f.ID}, core.Page{Cursor: cursor})
		wantCode(t, err, core.CodeInvalid)
	}
}
