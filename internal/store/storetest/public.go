package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/voltrun/voltrun/internal/core"
)

func testMaxConcurrency(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "conc@example.com")
	tests := []struct {
		name      string
		given     int
		want      int
		update    int
		wantAfter int
	}{
		{"set", 37, 37, core.MaxMaxConcurrency, core.MaxMaxConcurrency},
		{"unset is the default", 0, core.DefaultMaxConcurrency, 0, core.DefaultMaxConcurrency},
		{"negative is the default", -1, core.DefaultMaxConcurrency, 1, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sampleFunction(u.ID, fmt.Sprintf("conc-%d", i))
			f.MaxConcurrency = tt.given
			if err := s.CreateFunction(ctx, f); err != nil {
				t.Fatalf("CreateFunction: %v", err)
			}
			if f.MaxConcurrency != tt.want {
				t.Errorf("after create MaxConcurrency = %d, want %d", f.MaxConcurrency, tt.want)
			}
			wantConcurrency(t, s, f, tt.want)

			f.MaxConcurrency = tt.update
			if err := s.UpdateFunction(ctx, f); err != nil {
				t.Fatalf("UpdateFunction: %v", err)
			}
			if f.MaxConcurrency != tt.wantAfter {
				t.Errorf("after update MaxConcurrency = %d, want %d", f.MaxConcurrency, tt.wantAfter)
			}
			wantConcurrency(t, s, f, tt.wantAfter)
		})
	}
}

// wantConcurrency checks f's stored cap as Function and ListFunctions see it.
func wantConcurrency(t *testing.T, s core.Store, f *core.Function, want int) {
	t.Helper()
	got, err := s.Function(t.Context(), f.OwnerID, f.ID)
	if err != nil || got.MaxConcurrency != want {
		t.Fatalf("Function: MaxConcurrency = %v, %v; want %d", got, err, want)
	}
	fns, _, err := s.ListFunctions(t.Context(), f.OwnerID, core.Page{Limit: core.MaxPageLimit})
	if err != nil {
		t.Fatalf("ListFunctions: %v", err)
	}
	for _, l := range fns {
		if l.ID == f.ID && l.MaxConcurrency != want {
			t.Fatalf("ListFunctions: MaxConcurrency = %d, want %d", l.MaxConcurrency, want)
		}
	}
}

// testPublicNames checks a public function's name is unique among public
// functions across owners, while private names are only unique per owner.
func testPublicNames(t *testing.T, s core.Store) {
	ctx := t.Context()
	a := newUser(t, s, "pub-a@example.com")
	b := newUser(t, s, "pub-b@example.com")
	c := newUser(t, s, "pub-c@example.com")
	d := newUser(t, s, "pub-d@example.com")
	pub := sampleFunction(a.ID, "api")
	pub.Public = true
	if err := s.CreateFunction(ctx, pub); err != nil {
		t.Fatalf("CreateFunction(public): %v", err)
	}
	// Private functions may share the name, with it and with each other.
	private := newFunction(t, s, b.ID, "api")
	newFunction(t, s, c.ID, "api")
	otherPub := sampleFunction(d.ID, "other")
	otherPub.Public = true
	if err := s.CreateFunction(ctx, otherPub); err != nil {
		t.Fatalf("CreateFunction(other public): %v", err)
	}

	taken := sampleFunction(d.ID, "api")
	taken.Public = true
	wantCode(t, s.CreateFunction(ctx, taken), core.CodeConflict)

	tests := []struct {
		name   string
		fn     *core.Function
		mutate func(*core.Function)
	}{
		{"make public", private, func(f *core.Function) { f.Public = true }},
		{"rename a public one", otherPub, func(f *core.Function) { f.Name = "api" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := s.Function(ctx, tt.fn.OwnerID, tt.fn.ID)
			if err != nil {
				t.Fatalf("Function: %v", err)
			}
			upd := *before
			tt.mutate(&upd)
			wantCode(t, s.UpdateFunction(ctx, &upd), core.CodeConflict)
			after, err := s.Function(ctx, tt.fn.OwnerID, tt.fn.ID)
			if err != nil {
				t.Fatalf("Function: %v", err)
			}
			wantSameFunction(t, after, before, true)
		})
	}

	// Once the holder goes private, the name is free for another owner.
	pub.Public = false
	if err := s.UpdateFunction(ctx, pub); err != nil {
		t.Fatalf("UpdateFunction(make private): %v", err)
	}
	private.Public = true
	if err := s.UpdateFunction(ctx, private); err != nil {
		t.Fatalf("UpdateFunction(make public once free): %v", err)
	}
	got, err := s.PublicFunction(ctx, "api")
	if err != nil || got.ID != private.ID {
		t.Fatalf("PublicFunction(api) = %v, %v; want %s", got, err, private.ID)
	}
}

func testPublicFunction(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "pubfn@example.com")
	other := newUser(t, s, "pubfn-other@example.com")
	pub := sampleFunction(u.ID, "hello")
	pub.Public = true
	if err := s.CreateFunction(ctx, pub); err != nil {
		t.Fatalf("CreateFunction: %v", err)
	}
	// Another owner's private function of the same name is never found.
	newFunction(t, s, other.ID, "hello")
	newFunction(t, s, u.ID, "secret")

	got, err := s.PublicFunction(ctx, "hello")
	if err != nil {
		t.Fatalf("PublicFunction: %v", err)
	}
	wantSameFunction(t, got, pub, true)

	for _, name := range []string{"secret", "nope", "", "HELLO", pub.ID} {
		t.Run("not "+name, func(t *testing.T) {
			_, err := s.PublicFunction(ctx, name)
			wantCode(t, err, core.CodeNotFound)
		})
	}

	pub.Public = false
	if err := s.UpdateFunction(ctx, pub); err != nil {
		t.Fatalf("UpdateFunction: %v", err)
	}
	_, err = s.PublicFunction(ctx, "hello")
	wantCode(t, err, core.CodeNotFound)
}

// testConcurrentPublish races owners publishing one name: the partial
// unique index, not a read-then-write check, must decide.
func testConcurrentPublish(t *testing.T, s core.Store) {
	ctx := t.Context()
	const n = 10
	fns := make([]*core.Function, n)
	for i := range fns {
		fns[i] = newFunction(t, s, newUser(t, s, fmt.Sprintf("publish-%d@example.com", i)).ID, "hot")
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, f := range fns {
		wg.Go(func() {
			<-start
			f.Public = true
			errs[i] = s.UpdateFunction(ctx, f)
		})
	}
	close(start)
	wg.Wait()

	var won []string
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, fns[i].ID)
		case !core.IsConflict(err):
			t.Errorf("UpdateFunction: %v, want success or conflict", err)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d owners published the name, want exactly 1", len(won))
	}
	got, err := s.PublicFunction(ctx, "hot")
	if err != nil || got.ID != won[0] {
		t.Fatalf("PublicFunction(hot) = %v, %v; want %s", got, err, won[0])
	}
}
