package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/voltrun/voltrun/internal/core"
)

func testVersions(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "versions@example.com")
	f := newFunction(t, s, u.ID, "versioned")
	first := bytes.Clone(f.Code)

	v1, err := s.PublishVersion(ctx, u.ID, f.ID, "first")
	if err != nil {
		t.Fatalf("PublishVersion: %v", err)
	}
	if v1.Number != 1 || v1.Description != "first" || v1.CodeSHA256 != f.CodeSHA256 || v1.Code != nil {
		t.Fatalf("v1 = %+v", v1)
	}
	wantStoredTime(t, "version created_at", v1.CreatedAt)

	// Change the draft: v1 keeps what it had.
	f.Env = map[string]string{"K": "v2"}
	f.MemoryMB = 512
	setCode(f, []byte("PK\x03\x04 second"))
	if err := s.UpdateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	v2, err := s.PublishVersion(ctx, u.ID, f.ID, "")
	if err != nil || v2.Number != 2 {
		t.Fatalf("v2 = %+v, %v", v2, err)
	}
	got, err := s.Version(ctx, u.ID, f.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Code, first) || got.MemoryMB != core.DefaultMemoryMB || len(got.Env) != 0 {
		t.Fatalf("v1 changed with the draft: %+v", got)
	}
	got, err = s.Version(ctx, u.ID, f.ID, 2)
	if err != nil || !bytes.Equal(got.Code, f.Code) || got.MemoryMB != 512 || got.Env["K"] != "v2" {
		t.Fatalf("v2 = %+v, %v", got, err)
	}

	other := newUser(t, s, "versions-other@example.com")
	_, err = s.PublishVersion(ctx, other.ID, f.ID, "")
	wantCode(t, err, core.CodeNotFound)
	_, err = s.Version(ctx, other.ID, f.ID, 1)
	wantCode(t, err, core.CodeNotFound)
	_, err = s.Version(ctx, u.ID, f.ID, 3)
	wantCode(t, err, core.CodeNotFound)
	_, _, err = s.ListVersions(ctx, other.ID, f.ID, core.Page{})
	wantCode(t, err, core.CodeNotFound)

	// Newest first, paginated, without code.
	if _, err := s.PublishVersion(ctx, u.ID, f.ID, ""); err != nil {
		t.Fatal(err)
	}
	var numbers []int
	cursor := ""
	for {
		page, next, err := s.ListVersions(ctx, u.ID, f.ID, core.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			if v.Code != nil {
				t.Fatal("list loaded code")
			}
			numbers = append(numbers, v.Number)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if !slices.Equal(numbers, []int{3, 2, 1}) {
		t.Fatalf("versions listed %v, want [3 2 1]", numbers)
	}
}

func testAliases(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "aliases@example.com")
	f := newFunction(t, s, u.ID, "aliased")
	for range 3 {
		if _, err := s.PublishVersion(ctx, u.ID, f.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	a := &core.Alias{FunctionID: f.ID, Name: "prod", Version: 1, Description: "live"}
	if err := s.PutAlias(ctx, u.ID, a); err != nil {
		t.Fatalf("PutAlias: %v", err)
	}
	created := a.CreatedAt
	moved := &core.Alias{FunctionID: f.ID, Name: "prod", Version: 2, Routing: &core.AliasRouting{Version: 3, Weight: 0.1}}
	if err := s.PutAlias(ctx, u.ID, moved); err != nil {
		t.Fatal(err)
	}
	got, err := s.Alias(ctx, u.ID, f.ID, "prod")
	if err != nil || got.Version != 2 || got.Routing == nil || got.Routing.Version != 3 || got.Routing.Weight != 0.1 || !got.CreatedAt.Equal(created) {
		t.Fatalf("moved alias = %+v, %v", got, err)
	}
	// Dropping the routing clears it.
	if err := s.PutAlias(ctx, u.ID, &core.Alias{FunctionID: f.ID, Name: "prod", Version: 2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Alias(ctx, u.ID, f.ID, "prod"); got.Routing != nil {
		t.Fatalf("routing kept: %+v", got.Routing)
	}
	err = s.PutAlias(ctx, u.ID, &core.Alias{FunctionID: f.ID, Name: "bad", Version: 9})
	wantCode(t, err, core.CodeNotFound)
	err = s.PutAlias(ctx, u.ID, &core.Alias{FunctionID: f.ID, Name: "bad", Version: 1, Routing: &core.AliasRouting{Version: 9, Weight: 0.5}})
	wantCode(t, err, core.CodeNotFound)
	other := newUser(t, s, "aliases-other@example.com")
	err = s.PutAlias(ctx, other.ID, &core.Alias{FunctionID: f.ID, Name: "mine", Version: 1})
	wantCode(t, err, core.CodeNotFound)
	_, err = s.Alias(ctx, other.ID, f.ID, "prod")
	wantCode(t, err, core.CodeNotFound)

	if err := s.PutAlias(ctx, u.ID, &core.Alias{FunctionID: f.ID, Name: "canary", Version: 1, Routing: &core.AliasRouting{Version: 3, Weight: 0.5}}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAliases(ctx, u.ID, f.ID)
	if err != nil || len(list) != 2 || list[0].Name != "canary" || list[1].Name != "prod" {
		t.Fatalf("aliases = %+v, %v", list, err)
	}

	// A version an alias names cannot be deleted, as main or routing version.
	wantCode(t, s.DeleteVersion(ctx, u.ID, f.ID, 2), core.CodeConflict)
	wantCode(t, s.DeleteVersion(ctx, u.ID, f.ID, 3), core.CodeConflict)
	wantCode(t, s.DeleteAlias(ctx, other.ID, f.ID, "canary"), core.CodeNotFound)
	if err := s.DeleteAlias(ctx, u.ID, f.ID, "canary"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteAlias(ctx, u.ID, f.ID, "canary"), core.CodeNotFound)
	if err := s.DeleteVersion(ctx, u.ID, f.ID, 3); err != nil {
		t.Fatalf("DeleteVersion of an unused version: %v", err)
	}
	wantCode(t, s.DeleteVersion(ctx, u.ID, f.ID, 3), core.CodeNotFound)

	// Deleting the function takes its versions and aliases along.
	if err := s.DeleteFunction(ctx, u.ID, f.ID); err != nil {
		t.Fatalf("DeleteFunction with versions and aliases: %v", err)
	}
	_, err = s.Version(ctx, u.ID, f.ID, 1)
	wantCode(t, err, core.CodeNotFound)
}

// testConcurrentVersions: simultaneous publishes get distinct numbers.
func testConcurrentVersions(t *testing.T, s core.Store) {
	u := newUser(t, s, "concurrent-versions@example.com")
	f := newFunction(t, s, u.ID, "busy")
	const n = 12
	numbers := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := s.PublishVersion(t.Context(), u.ID, f.ID, "")
			if err != nil {
				t.Error(err)
				return
			}
			numbers[i] = v.Number
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, got := range numbers {
		if got != i+1 {
			t.Fatalf("numbers %v, want 1..%d", numbers, n)
		}
	}
}
