package storetest

import (
	"bytes"
	"maps"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

func testFunctions(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "fn@example.com")
	withEnv := sampleFunction(u.ID, "with-env")
	withEnv.Description = "says hello ✓"
	withEnv.Runtime, withEnv.Handler = core.RuntimePython, "pkg/main.handler"
	withEnv.MemoryMB, withEnv.TimeoutMS = 256, 30000
	withEnv.Env = map[string]string{"GREETING": "hello", "EMPTY": ""}
	withEnv.Public, withEnv.MaxConcurrency = true, 250
	setCode(withEnv, bytes.Repeat([]byte{0, 1, 2, 0xff}, 64<<10)) // binary, 256 KiB
	noCode := sampleFunction(u.ID, "no-code")
	noCode.Code, noCode.CodeSHA256, noCode.CodeSize = nil, "", 0
	chosenID := sampleFunction(u.ID, "chosen-id")
	chosenID.ID = uuid.NewString()

	for _, f := range []*core.Function{withEnv, noCode, chosenID} {
		t.Run(f.Name, func(t *testing.T) {
			given := *f
			if err := s.CreateFunction(ctx, f); err != nil {
				t.Fatalf("CreateFunction: %v", err)
			}
			wantUUIDv7or(t, f.ID, given.ID)
			wantStoredTime(t, "CreatedAt", f.CreatedAt)
			if !f.UpdatedAt.Equal(f.CreatedAt) {
				t.Errorf("UpdatedAt = %v, want CreatedAt %v", f.UpdatedAt, f.CreatedAt)
			}
			if f.CodeSHA256 != given.CodeSHA256 || f.CodeSize != given.CodeSize {
				t.Errorf("digest = %s/%d, want the caller's %s/%d", f.CodeSHA256, f.CodeSize, given.CodeSHA256, given.CodeSize)
			}
			for _, key := range []string{f.ID, f.Name} {
				got, err := s.Function(ctx, u.ID, key)
				if err != nil {
					t.Fatalf("Function(%s): %v", key, err)
				}
				wantSameFunction(t, got, f, true)
			}
		})
	}
}

// wantSameFunction compares every field; Code only when withCode, else it
// must be nil (listed without code). A nil Env equals an empty one.
func wantSameFunction(t *testing.T, got, want *core.Function, withCode bool) {
	t.Helper()
	same := got.ID == want.ID && got.OwnerID == want.OwnerID && got.Name == want.Name &&
		got.Description == want.Description && got.Runtime == want.Runtime && got.Handler == want.Handler &&
		got.MemoryMB == want.MemoryMB && got.TimeoutMS == want.TimeoutMS && maps.Equal(got.Env, want.Env) &&
		got.Public == want.Public && got.MaxConcurrency == want.MaxConcurrency &&
		got.CodeSHA256 == want.CodeSHA256 && got.CodeSize == want.CodeSize &&
		got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt)
	if !same {
		t.Fatalf("function = %+v\nwant %+v", summary(got), summary(want))
	}
	if got.Env == nil {
		t.Errorf("Env = nil, want an empty map")
	}
	switch {
	case !withCode && got.Code != nil:
		t.Errorf("listed function has %d bytes of code, want none loaded", len(got.Code))
	case withCode && (got.Code == nil || !bytes.Equal(got.Code, want.Code)):
		t.Errorf("code = %d bytes (nil: %v), want %d bytes", len(got.Code), got.Code == nil, len(want.Code))
	}
}

func summary(f *core.Function) core.Function {
	c := *f
	c.Code = nil
	return c
}

func testFunctionLookups(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "lookup@example.com")
	other := newUser(t, s, "lookup-other@example.com")
	f := newFunction(t, s, u.ID, "hello")
	// A valid name can parse as a UUID: it is found by name when no id matches.
	uuidName := newFunction(t, s, u.ID, "abcdef01-2345-7678-9abc-def012345678")

	got, err := s.Function(ctx, u.ID, strings.ToUpper(f.ID))
	if err != nil || got.ID != f.ID {
		t.Fatalf("Function(upper-case id) = %v, %v", got, err)
	}
	got, err = s.Function(ctx, u.ID, uuidName.Name)
	if err != nil || got.ID != uuidName.ID {
		t.Fatalf("Function(uuid-like name) = %v, %v", got, err)
	}
	tests := []struct {
		name           string
		owner, idOrKey string
	}{
		{"other owner by id", other.ID, f.ID},
		{"other owner by name", other.ID, f.Name},
		{"unknown id", u.ID, uuid.NewString()},
		{"unknown name", u.ID, "nope"},
		{"empty", u.ID, ""},
		{"malformed owner", "owner", f.Name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Function(ctx, tt.owner, tt.idOrKey)
			wantCode(t, err, core.CodeNotFound)
		})
	}
}

func testFunctionNames(t *testing.T, s core.Store) {
	ctx := t.Context()
	a := newUser(t, s, "a@example.com")
	b := newUser(t, s, "b@example.com")
	fa := newFunction(t, s, a.ID, "shared")
	fb := newFunction(t, s, b.ID, "shared") // same name, other owner: fine

	tests := []struct {
		name string
		fn   *core.Function
		want core.Code
	}{
		{"duplicate name", sampleFunction(a.ID, "shared"), core.CodeConflict},
		{"duplicate id", &core.Function{ID: fb.ID, OwnerID: a.ID, Name: "fresh", Runtime: core.RuntimeNode}, core.CodeConflict},
		{"malformed id", &core.Function{ID: "fn-1", OwnerID: a.ID, Name: "fresh"}, core.CodeInvalid},
		{"unknown owner", sampleFunction(uuid.NewString(), "orphan"), core.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *tt.fn
			wantCode(t, s.CreateFunction(ctx, tt.fn), tt.want)
			if tt.fn.ID != before.ID || !tt.fn.CreatedAt.IsZero() {
				t.Errorf("failed create changed the function: ID %q, CreatedAt %v", tt.fn.ID, tt.fn.CreatedAt)
			}
		})
	}
	for owner, want := range map[string]string{a.ID: fa.ID, b.ID: fb.ID} {
		got, err := s.Function(ctx, owner, "shared")
		if err != nil || got.ID != want {
			t.Fatalf("Function(%s, shared) = %v, %v; want %s", owner, got, err, want)
		}
	}
}

func testListFunctions(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "listfn@example.com")
	other := newUser(t, s, "listfn-other@example.com")
	newFunction(t, s, other.ID, "theirs")
	var created []*core.Function
	for _, name := range []string{"e", "d", "c", "b", "a"} { // names against id order
		created = append(created, newFunction(t, s, u.ID, "fn-"+name))
	}

	var listed []core.Function
	cursor, pages := "", 0
	for {
		fns, next, err := s.ListFunctions(ctx, u.ID, core.Page{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		if len(fns) == 0 || len(fns) > 2 {
			t.Fatalf("page %d has %d functions, want 1 or 2", pages, len(fns))
		}
		listed = append(listed, fns...)
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 3 || len(listed) != len(created) {
		t.Fatalf("listed %d functions on %d pages, want %d on 3", len(listed), pages, len(created))
	}
	for i := range listed {
		wantSameFunction(t, &listed[i], created[i], false)
	}

	all, next, err := s.ListFunctions(ctx, u.ID, core.Page{})
	if err != nil || len(all) != len(created) || next != "" {
		t.Fatalf("ListFunctions(default limit) = %d functions, next %q, %v", len(all), next, err)
	}
	none, next, err := s.ListFunctions(ctx, newUser(t, s, "nofns@example.com").ID, core.Page{})
	if err != nil || len(none) != 0 || next != "" {
		t.Fatalf("ListFunctions(no functions) = %v, %q, %v; want empty", none, next, err)
	}
}

func testMalformedCursor(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "cursor@example.com")
	for _, cursor := range []string{"!!!", "bm90LWEtdXVpZA", "%%", uuid.NewString()} {
		t.Run(cursor, func(t *testing.T) {
			_, _, err := s.ListFunctions(ctx, u.ID, core.Page{Cursor: cursor})
			wantCode(t, err, core.CodeInvalid)
			_, _, err = s.ListKeys(ctx, u.ID, core.Page{Cursor: cursor})
			wantCode(t, err, core.CodeInvalid)
		})
	}
}
