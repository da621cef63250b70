package storetest

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// testAccounts checks plans, listing and function counts.
func testAccounts(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "plan@example.com")
	other := newUser(t, s, "plan-other@example.com")
	a, err := s.Account(ctx, u.ID)
	if err != nil || a.Plan != "" || a.Email != u.Email || a.Role != core.RoleUser {
		t.Fatalf("new account = %+v, %v; want the default plan", a, err)
	}
	if err := s.SetPlan(ctx, u.ID, "pro"); err != nil {
		t.Fatalf("SetPlan: %v", err)
	}
	if a, err := s.Account(ctx, u.ID); err != nil || a.Plan != "pro" {
		t.Fatalf("after SetPlan: %+v, %v", a, err)
	}
	if a, err := s.Account(ctx, other.ID); err != nil || a.Plan != "" {
		t.Fatalf("SetPlan changed another account: %+v, %v", a, err)
	}
	if err := s.SetPlan(ctx, u.ID, ""); err != nil {
		t.Fatalf("SetPlan(default): %v", err)
	}
	wantCode(t, s.SetPlan(ctx, uuid.NewString(), "pro"), core.CodeNotFound)
	wantCode(t, s.SetPlan(ctx, "nobody", "pro"), core.CodeNotFound)
	wantCode(t, s.SetPlan(ctx, u.ID, "Bad Name"), core.CodeInvalid)
	_, err = s.Account(ctx, uuid.NewString())
	wantCode(t, err, core.CodeNotFound)

	first, next, err := s.ListAccounts(ctx, core.Page{Limit: 1})
	if err != nil || len(first) != 1 || first[0].ID != u.ID || next == "" {
		t.Fatalf("first page = %+v, %q, %v", first, next, err)
	}
	rest, next, err := s.ListAccounts(ctx, core.Page{Limit: 5, Cursor: next})
	if err != nil || len(rest) != 1 || rest[0].ID != other.ID || next != "" {
		t.Fatalf("second page = %+v, %q, %v", rest, next, err)
	}

	for i, name := range []string{"one", "two", "three"} {
		newFunction(t, s, u.ID, name)
		if n, err := s.CountFunctions(ctx, u.ID); err != nil || n != i+1 {
			t.Fatalf("CountFunctions = %d, %v; want %d", n, err, i+1)
		}
	}
	if n, err := s.CountFunctions(ctx, other.ID); err != nil || n != 0 {
		t.Fatalf("CountFunctions(other) = %d, %v", n, err)
	}
}

// testPromoteAdmins checks the first user and configured emails become
// admins, idempotently and at most one first user under concurrency.
func testPromoteAdmins(t *testing.T, s core.Store) {
	ctx := t.Context()
	if n, err := s.PromoteAdmins(ctx, nil, true); err != nil || n != 0 {
		t.Fatalf("PromoteAdmins on no users = %d, %v", n, err)
	}
	users := make([]*core.User, 6)
	for i := range users {
		users[i] = newUser(t, s, "admin"+string(rune('a'+i))+"@example.com")
	}
	var wg sync.WaitGroup
	total := make([]int, 8)
	for i := range total {
		wg.Go(func() {
			n, err := s.PromoteAdmins(ctx, nil, true)
			if err != nil {
				t.Errorf("PromoteAdmins: %v", err)
			}
			total[i] = n
		})
	}
	wg.Wait()
	sum := 0
	for _, n := range total {
		sum += n
	}
	if sum != 1 {
		t.Fatalf("concurrent first-user promotions changed %d users, want 1", sum)
	}
	n, err := s.PromoteAdmins(ctx, []string{" AdminC@Example.com ", "admind@example.com", "nobody@example.com", ""}, true)
	if err != nil || n != 2 {
		t.Fatalf("PromoteAdmins(emails) = %d, %v; want 2", n, err)
	}
	for i, u := range users {
		a, err := s.Account(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := core.RoleUser
		if i == 0 || i == 2 || i == 3 {
			want = core.RoleAdmin
		}
		if a.Role != want {
			t.Errorf("user %d role %s, want %s", i, a.Role, want)
		}
	}
	if n, err := s.PromoteAdmins(ctx, []string{"adminc@example.com"}, true); err != nil || n != 0 {
		t.Fatalf("PromoteAdmins again = %d, %v; want 0", n, err)
	}
}
