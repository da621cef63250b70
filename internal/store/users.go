package store

import (
	"context"
	"strings"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

type userRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	Email        string    `gorm:"column:email"`
	Name         string    `gorm:"column:name"`
	Role         string    `gorm:"column:role"`
	PasswordHash string    `gorm:"column:password_hash"`
	CreatedAt    time.Time `gorm:"column:created_at"`
	UpdatedAt    time.Time `gorm:"column:updated_at"`
}

func (userRow) TableName() string { return "users" }

func (r *userRow) toCore() *core.User {
	return &core.User{
		ID:           r.ID,
		Email:        r.Email,
		Name:         r.Name,
		Role:         core.Role(r.Role),
		PasswordHash: r.PasswordHash,
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
	}
}

var userConflicts = conflicts{
	unique:     "an account with this email already exists",
	primaryKey: "an account with this id already exists",
	foreignKey: "user not found",
}

// normEmail is the stored form of an email. Lowercasing here, not in SQL,
// keeps uniqueness identical on both databases (SQLite's lower() is
// ASCII-only).
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser stores u and, on success, fills its ID (when empty),
// lowercased Email, Role (RoleUser when empty) and timestamps. A taken email
// is CodeConflict.
func (s *Store) CreateUser(ctx context.Context, u *core.User) error {
	id, err := resolveID(u.ID, "user")
	if err != nil {
		return err
	}
	t := now()
	row := userRow{
		ID:           id,
		Email:        normEmail(u.Email),
		Name:         u.Name,
		Role:         string(u.Role),
		PasswordHash: u.PasswordHash,
		CreatedAt:    t,
		UpdatedAt:    t,
	}
	if row.Role == "" {
		row.Role = string(core.RoleUser)
	}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mapWriteError("create user", err, userConflicts)
	}
	u.ID, u.Email, u.Role, u.CreatedAt, u.UpdatedAt = id, row.Email, core.Role(row.Role), t, t
	return nil
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (*core.User, error) {
	id, ok := parseID(id)
	if !ok {
		return nil, notFound("user not found")
	}
	var row userRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapReadError("user by id", "user not found", err)
	}
	return row.toCore(), nil
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	var row userRow
	err := s.db.WithContext(ctx).Where("email = ?", normEmail(email)).Take(&row).Error
	if err != nil {
		return nil, mapReadError("user by email", "user not found", err)
	}
	return row.toCore(), nil
}
