package storetest

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

func testUpdateFunction(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "upd@example.com")
	other := newUser(t, s, "upd-other@example.com")
	f := newFunction(t, s, u.ID, "before")
	taken := newFunction(t, s, u.ID, "taken")
	code, sum, size := append([]byte(nil), f.Code...), f.CodeSHA256, f.CodeSize

	// Everything but the code: a nil Code keeps the stored code and digest,
	// whatever the digest fields say.
	upd := *f
	upd.Name, upd.Description, upd.Runtime, upd.Handler = "after", "renamed", core.RuntimePython, "main.handler"
	upd.MemoryMB, upd.TimeoutMS, upd.Public, upd.MaxConcurrency = 512, 1000, true, 500
	upd.Env = map[string]string{"A": "1"}
	upd.Code, upd.CodeSHA256, upd.CodeSize = nil, "ignored", 42
	if err := s.UpdateFunction(ctx, &upd); err != nil {
		t.Fatalf("UpdateFunction(config): %v", err)
	}
	if upd.UpdatedAt.Before(f.UpdatedAt) {
		t.Errorf("UpdatedAt moved back: %v < %v", upd.UpdatedAt, f.UpdatedAt)
	}
	wantStoredTime(t, "UpdatedAt", upd.UpdatedAt)
	got, err := s.Function(ctx, u.ID, "after")
	if err != nil {
		t.Fatalf("Function(after): %v", err)
	}
	upd.Code, upd.CodeSHA256, upd.CodeSize = code, sum, size
	wantSameFunction(t, got, &upd, true)
	_, err = s.Function(ctx, u.ID, "before")
	wantCode(t, err, core.CodeNotFound)

	// New code: stored with its new digest.
	setCode(&upd, []byte("PK new code"))
	if err := s.UpdateFunction(ctx, &upd); err != nil {
		t.Fatalf("UpdateFunction(code): %v", err)
	}
	got, err = s.Function(ctx, u.ID, f.ID)
	if err != nil {
		t.Fatalf("Function: %v", err)
	}
	wantSameFunction(t, got, &upd, true)

	// Empty (non-nil) code replaces the code too.
	upd.Code, upd.CodeSHA256, upd.CodeSize = []byte{}, "", 0
	if err := s.UpdateFunction(ctx, &upd); err != nil {
		t.Fatalf("UpdateFunction(empty code): %v", err)
	}
	if got, err = s.Function(ctx, u.ID, f.ID); err != nil || len(got.Code) != 0 || got.CodeSize != 0 {
		t.Fatalf("after emptying code: %d bytes, size %d, %v", len(got.Code), got.CodeSize, err)
	}

	tests := []struct {
		name   string
		mutate func(*core.Function)
		want   core.Code
	}{
		{"rename onto a taken name", func(f *core.Function) { f.Name = taken.Name }, core.CodeConflict},
		{"other owner", func(f *core.Function) { f.OwnerID = other.ID; f.Name = "stolen" }, core.CodeNotFound},
		{"unknown id", func(f *core.Function) { f.ID = uuid.NewString() }, core.CodeNotFound},
		{"malformed id", func(f *core.Function) { f.ID = "fn" }, core.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := *got
			tt.mutate(&bad)
			wantCode(t, s.UpdateFunction(ctx, &bad), tt.want)
		})
	}
	// Failed updates changed nothing.
	again, err := s.Function(ctx, u.ID, f.ID)
	if err != nil {
		t.Fatalf("Function: %v", err)
	}
	wantSameFunction(t, again, got, true)
	if _, err := s.Function(ctx, other.ID, "stolen"); !core.IsNotFound(err) {
		t.Fatalf("another owner's update created a function: %v", err)
	}
}

func testDeleteFunction(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "delfn@example.com")
	other := newUser(t, s, "delfn-other@example.com")
	f := newFunction(t, s, u.ID, "doomed")

	wantCode(t, s.DeleteFunction(ctx, other.ID, f.ID), core.CodeNotFound)
	if _, err := s.Function(ctx, u.ID, f.ID); err != nil {
		t.Fatalf("another owner's delete removed the function: %v", err)
	}
	if err := s.DeleteFunction(ctx, u.ID, f.ID); err != nil {
		t.Fatalf("DeleteFunction: %v", err)
	}
	_, err := s.Function(ctx, u.ID, f.ID)
	wantCode(t, err, core.CodeNotFound)
	wantCode(t, s.DeleteFunction(ctx, u.ID, f.ID), core.CodeNotFound)
	wantCode(t, s.DeleteFunction(ctx, u.ID, "doomed"), core.CodeNotFound) // ids only, not names
	// The name is free again.
	newFunction(t, s, u.ID, "doomed")
}

// testConcurrentCreate races creators of one name: the unique index, not a
// read-then-write check, must decide, so exactly one wins.
func testConcurrentCreate(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "race@example.com")
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.CreateFunction(ctx, sampleFunction(u.ID, "contested"))
		})
	}
	close(start)
	wg.Wait()

	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case core.IsConflict(err):
		default:
			t.Errorf("CreateFunction: %v, want success or conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d creators won, want exactly 1", won)
	}
	fns, _, err := s.ListFunctions(ctx, u.ID, core.Page{})
	if err != nil || len(fns) != 1 {
		t.Fatalf("ListFunctions = %d functions, %v; want 1", len(fns), err)
	}
}
