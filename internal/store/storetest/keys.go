package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

func testKeys(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "keys@example.com")
	// A zoned, nanosecond expiry comes back as the same instant in UTC at
	// microsecond precision.
	zone := time.FixedZone("UTC+2", 2*3600)
	expires := time.Date(2031, 5, 6, 7, 8, 9, 123456789, zone)
	tests := []struct {
		name string
		key  core.APIKey
	}{
		{"all fields", core.APIKey{
			Name: "ci", Prefix: "vr_abcd", Hash: hashN(1),
			Scopes: []core.Scope{core.ScopeFunctionsRead, core.ScopeFunctionsInvoke}, ExpiresAt: &expires,
		}},
		{"no expiry no scopes", core.APIKey{Name: "bare", Prefix: "vr_efgh", Hash: hashN(2)}},
		{"caller id", core.APIKey{
			ID: uuid.NewString(), Name: "own id", Prefix: "vr_ijkl", Hash: hashN(3),
			Scopes: core.AllScopes,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := tt.key
			k.UserID = u.ID
			if err := s.CreateKey(ctx, &k); err != nil {
				t.Fatalf("CreateKey: %v", err)
			}
			wantUUIDv7or(t, k.ID, tt.key.ID)
			wantStoredTime(t, "CreatedAt", k.CreatedAt)
			got, err := s.KeyByHash(ctx, k.Hash)
			if err != nil {
				t.Fatalf("KeyByHash: %v", err)
			}
			wantSameKey(t, got, &k)
			if tt.key.ExpiresAt != nil {
				want := tt.key.ExpiresAt.UTC().Truncate(time.Microsecond)
				if !got.ExpiresAt.Equal(want) || got.ExpiresAt.Location() != time.UTC {
					t.Errorf("ExpiresAt = %v, want %v", got.ExpiresAt, want)
				}
				if got.Expired(expires.Add(-time.Second)) || !got.Expired(expires) {
					t.Errorf("Expired around %v is wrong for %v", expires, got.ExpiresAt)
				}
			}
			if got.Scopes == nil {
				t.Errorf("Scopes = nil, want an empty list")
			}
		})
	}
}

func wantUUIDv7or(t *testing.T, got, chosen string) {
	t.Helper()
	if chosen != "" {
		if got != chosen {
			t.Fatalf("ID = %q, want the caller's %q", got, chosen)
		}
		return
	}
	wantUUIDv7(t, got)
}

func wantSameKey(t *testing.T, got, want *core.APIKey) {
	t.Helper()
	same := got.ID == want.ID && got.UserID == want.UserID && got.Name == want.Name &&
		got.Prefix == want.Prefix && got.Hash == want.Hash && slices.Equal(got.Scopes, want.Scopes) &&
		equalTimePtr(got.ExpiresAt, want.ExpiresAt) && equalTimePtr(got.LastUsedAt, want.LastUsedAt) &&
		got.CreatedAt.Equal(want.CreatedAt)
	if !same {
		t.Fatalf("key = %+v, want %+v", got, want)
	}
}

func equalTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func testKeyErrors(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "keyerrors@example.com")
	k := newKey(t, s, u.ID, hashN(10))
	tests := []struct {
		name string
		err  error
		want core.Code
	}{
		{"duplicate hash", s.CreateKey(ctx, &core.APIKey{UserID: u.ID, Name: "dup", Prefix: "vr_", Hash: k.Hash}), core.CodeConflict},
		{"duplicate id", s.CreateKey(ctx, &core.APIKey{ID: k.ID, UserID: u.ID, Name: "dup", Prefix: "vr_", Hash: hashN(11)}), core.CodeConflict},
		{"malformed id", s.CreateKey(ctx, &core.APIKey{ID: "key-1", UserID: u.ID, Hash: hashN(12)}), core.CodeInvalid},
		{"unknown user", s.CreateKey(ctx, &core.APIKey{UserID: uuid.NewString(), Name: "x", Prefix: "vr_", Hash: hashN(13)}), core.CodeNotFound},
		{"unknown hash", second(s.KeyByHash(ctx, hashN(99))), core.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.err, tt.want) })
	}
}

func testListKeys(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "list@example.com")
	other := newUser(t, s, "other@example.com")
	newKey(t, s, other.ID, hashN(100))
	var want []string
	for i := range 5 {
		want = append(want, newKey(t, s, u.ID, hashN(i)).ID)
	}
	newKey(t, s, other.ID, hashN(101))

	tests := []struct {
		name  string
		limit int
		pages [][]string
	}{
		{"limit 2", 2, [][]string{want[:2], want[2:4], want[4:]}},
		{"exact pages", 5, [][]string{want}},
		{"default limit", 0, [][]string{want}},
		{"over the cap", core.MaxPageLimit + 1, [][]string{want}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cursor := ""
			for i, page := range tt.pages {
				keys, next, err := s.ListKeys(ctx, u.ID, core.Page{Limit: tt.limit, Cursor: cursor})
				if err != nil {
					t.Fatalf("page %d: %v", i, err)
				}
				var ids []string
				for _, k := range keys {
					ids = append(ids, k.ID)
				}
				if !slices.Equal(ids, page) {
					t.Fatalf("page %d = %v, want %v", i, ids, page)
				}
				if last := i == len(tt.pages)-1; last != (next == "") {
					t.Fatalf("page %d: next = %q, want it empty only on the last page", i, next)
				}
				cursor = next
			}
		})
	}

	keys, next, err := s.ListKeys(ctx, newUser(t, s, "nokeys@example.com").ID, core.Page{})
	if err != nil || len(keys) != 0 || next != "" {
		t.Fatalf("ListKeys(no keys) = %v, %q, %v; want empty", keys, next, err)
	}
}

func testDeleteKey(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "del@example.com")
	other := newUser(t, s, "del-other@example.com")
	k := newKey(t, s, u.ID, hashN(1))

	wantCode(t, s.DeleteKey(ctx, other.ID, k.ID), core.CodeNotFound)
	if _, err := s.KeyByHash(ctx, k.Hash); err != nil {
		t.Fatalf("another user's delete removed the key: %v", err)
	}
	if err := s.DeleteKey(ctx, u.ID, k.ID); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	_, err := s.KeyByHash(ctx, k.Hash)
	wantCode(t, err, core.CodeNotFound)
	wantCode(t, s.DeleteKey(ctx, u.ID, k.ID), core.CodeNotFound)
	wantCode(t, s.DeleteKey(ctx, u.ID, "not-a-uuid"), core.CodeNotFound)
}

func testTouchKeys(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "touch@example.com")
	a := newKey(t, s, u.ID, hashN(1))
	b := newKey(t, s, u.ID, hashN(2))
	base := time.Date(2030, 1, 2, 3, 4, 5, 600000000, time.UTC)
	zone := time.FixedZone("UTC-5", -5*3600)

	steps := []struct {
		name  string
		used  map[string]time.Time
		wantA *time.Time
		wantB *time.Time
	}{
		{"empty batch", map[string]time.Time{}, nil, nil},
		{"first use", map[string]time.Time{a.ID: base}, &base, nil},
		{"older is ignored", map[string]time.Time{a.ID: base.Add(-time.Hour)}, &base, nil},
		// Sub-second and zone differences must compare as instants, not text.
		{"older by a fraction, other zone", map[string]time.Time{a.ID: base.Add(-100 * time.Millisecond).In(zone)}, &base, nil},
		{"equal is kept", map[string]time.Time{a.ID: base}, &base, nil},
		{
			"newer by a microsecond",
			map[string]time.Time{a.ID: base.Add(time.Microsecond).In(zone), b.ID: base},
			ptr(base.Add(time.Microsecond)), &base,
		},
		{
			"unknown and malformed ids are ignored",
			map[string]time.Time{uuid.NewString(): base, "nope": base, b.ID: base.Add(time.Second)},
			ptr(base.Add(time.Microsecond)), ptr(base.Add(time.Second)),
		},
		{
			"whole seconds after fractions",
			map[string]time.Time{b.ID: base.Truncate(time.Second).Add(2 * time.Second)},
			ptr(base.Add(time.Microsecond)), ptr(base.Truncate(time.Second).Add(2 * time.Second)),
		},
		{
			"a fraction after whole seconds",
			map[string]time.Time{b.ID: base.Truncate(time.Second).Add(2*time.Second + time.Millisecond)},
			ptr(base.Add(time.Microsecond)), ptr(base.Truncate(time.Second).Add(2*time.Second + time.Millisecond)),
		},
	}
	for _, st := range steps { // sequential: each step builds on the last
		if err := s.TouchKeys(ctx, st.used); err != nil {
			t.Fatalf("%s: TouchKeys: %v", st.name, err)
		}
		for _, c := range []struct {
			key  *core.APIKey
			want *time.Time
		}{{a, st.wantA}, {b, st.wantB}} {
			got, err := s.KeyByHash(ctx, c.key.Hash)
			if err != nil {
				t.Fatalf("%s: KeyByHash: %v", st.name, err)
			}
			if !equalTimePtr(got.LastUsedAt, c.want) {
				t.Fatalf("%s: key %s LastUsedAt = %v, want %v", st.name, c.key.Name, got.LastUsedAt, c.want)
			}
		}
	}
	keys, _, err := s.ListKeys(ctx, u.ID, core.Page{})
	if err != nil || len(keys) != 2 || keys[0].LastUsedAt == nil || keys[0].LastUsedAt.Location() != time.UTC {
		t.Fatalf("ListKeys after touch = %+v, %v; want last-use times in UTC", keys, err)
	}
}

func ptr[T any](v T) *T { return &v }
