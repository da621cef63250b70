package storetest

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

func testUsers(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := &core.User{Email: "  Ada@Example.COM", Name: "Ada", PasswordHash: "$2a$10$x"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	wantUUIDv7(t, u.ID)
	wantStoredTime(t, "CreatedAt", u.CreatedAt)
	if !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Errorf("UpdatedAt = %v, want CreatedAt %v", u.UpdatedAt, u.CreatedAt)
	}
	if u.Email != "ada@example.com" {
		t.Errorf("Email = %q, want it trimmed and lowercased", u.Email)
	}
	if u.Role != core.RoleUser {
		t.Errorf("Role = %q, want default %q", u.Role, core.RoleUser)
	}

	admin := &core.User{ID: uuid.NewString(), Email: "root@example.com", Role: core.RoleAdmin, PasswordHash: "h"}
	if err := s.CreateUser(ctx, admin); err != nil {
		t.Fatalf("CreateUser(with id): %v", err)
	}

	for _, want := range []*core.User{u, admin} {
		byID, err := s.UserByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("UserByID: %v", err)
		}
		wantSameUser(t, byID, want)
		byEmail, err := s.UserByEmail(ctx, want.Email)
		if err != nil {
			t.Fatalf("UserByEmail: %v", err)
		}
		wantSameUser(t, byEmail, want)
	}
}

func wantSameUser(t *testing.T, got, want *core.User) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.Name != want.Name || got.Role != want.Role ||
		got.PasswordHash != want.PasswordHash || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("user = %+v, want %+v", got, want)
	}
	if got.CreatedAt.Location() != want.CreatedAt.Location() {
		t.Fatalf("CreatedAt location = %v, want %v", got.CreatedAt.Location(), want.CreatedAt.Location())
	}
}

func testUserLookups(t *testing.T, s core.Store) {
	ctx := t.Context()
	u := newUser(t, s, "grace@example.com")

	byEmail, err := s.UserByEmail(ctx, "GRACE@example.com")
	if err != nil || byEmail.ID != u.ID {
		t.Fatalf("UserByEmail(upper case) = %v, %v; want user %s", byEmail, err, u.ID)
	}
	byID, err := s.UserByID(ctx, strings.ToUpper(u.ID))
	if err != nil || byID.ID != u.ID {
		t.Fatalf("UserByID(upper case) = %v, %v; want user %s", byID, err, u.ID)
	}

	tests := []struct {
		name string
		err  error
		want core.Code
	}{
		{"duplicate email", s.CreateUser(ctx, &core.User{Email: "grace@example.com", PasswordHash: "h"}), core.CodeConflict},
		{"duplicate email other case", s.CreateUser(ctx, &core.User{Email: "Grace@Example.com", PasswordHash: "h"}), core.CodeConflict},
		{"duplicate id", s.CreateUser(ctx, &core.User{ID: u.ID, Email: "other@example.com", PasswordHash: "h"}), core.CodeConflict},
		{"malformed id on create", s.CreateUser(ctx, &core.User{ID: "user-1", Email: "x@example.com", PasswordHash: "h"}), core.CodeInvalid},
		{"unknown id", second(s.UserByID(ctx, uuid.NewString())), core.CodeNotFound},
		{"malformed id", second(s.UserByID(ctx, "not-a-uuid")), core.CodeNotFound},
		{"empty id", second(s.UserByID(ctx, "")), core.CodeNotFound},
		{"unknown email", second(s.UserByEmail(ctx, "nobody@example.com")), core.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.err, tt.want) })
	}
}

func second[T any](_ T, err error) error { return err }
