package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

// accountRow is a user with the plan column, which userRow leaves out.
type accountRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	Email        string    `gorm:"column:email"`
	Name         string    `gorm:"column:name"`
	Role         string    `gorm:"column:role"`
	PasswordHash string    `gorm:"column:password_hash"`
	Plan         string    `gorm:"column:plan"`
	CreatedAt    time.Time `gorm:"column:created_at"`
	UpdatedAt    time.Time `gorm:"column:updated_at"`
}

func (accountRow) TableName() string { return "users" }

func (r *accountRow) toCore() core.Account {
	u := userRow{
		ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, PasswordHash: r.PasswordHash,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	return core.Account{User: *u.toCore(), Plan: r.Plan}
}

// Account finds a user with their plan.
func (s *Store) Account(ctx context.Context, id string) (*core.Account, error) {
	id, ok := parseID(id)
	if !ok {
		return nil, notFound("user not found")
	}
	var row accountRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, mapReadError("get account", "user not found", err)
	}
	a := row.toCore()
	return &a, nil
}

// ListAccounts lists accounts oldest first (ids are UUIDv7).
func (s *Store) ListAccounts(ctx context.Context, p core.Page) ([]core.Account, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := pageLimit(p)
	q := s.db.WithContext(ctx).Model(&accountRow{})
	if after != "" {
		q = q.Where("id > ?", after)
	}
	var rows []accountRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list accounts", err)
	}
	accounts := make([]core.Account, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		accounts = append(accounts, rows[i].toCore())
	}
	next := ""
	if len(rows) > limit {
		next = encodeCursor(accounts[len(accounts)-1].ID)
	}
	return accounts, next, nil
}

// SetPlan assigns a plan to a user; "" restores the default plan. The name
// is not checked against the configured plans: that is the caller's job.
func (s *Store) SetPlan(ctx context.Context, userID, plan string) error {
	id, ok := parseID(userID)
	if !ok {
		return notFound("user not found")
	}
	if plan != "" && !core.ValidPlanName(plan) {
		return invalid("plan name must match ^[a-z][a-z0-9_-]{0,31}$")
	}
	res := s.db.WithContext(ctx).Model(&accountRow{}).Where("id = ?", id).
		Updates(map[string]any{"plan": plan, "updated_at": now()})
	if res.Error != nil {
		return wrap("set plan", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("user not found")
	}
	return nil
}

// PromoteAdmins makes admins of the users with these emails (compared as
// the store keeps them: trimmed and lowercased) and, when firstUser is set
// and no user is an admin, of the oldest user. Both are idempotent.
func (s *Store) PromoteAdmins(ctx context.Context, emails []string, firstUser bool) (int, error) {
	norm := make([]string, 0, len(emails))
	for _, e := range emails {
		if e = normEmail(e); e != "" {
			norm = append(norm, e)
		}
	}
	slices.Sort(norm)
	norm = slices.Compact(norm)
	admin := string(core.RoleAdmin)
	changed := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(norm) > 0 {
			res := tx.Model(&accountRow{}).Where("email IN ? AND role <> ?", norm, admin).
				Updates(map[string]any{"role": admin, "updated_at": now()})
			if res.Error != nil {
				return res.Error
			}
			changed += int(res.RowsAffected)
		}
		if !firstUser {
			return nil
		}
		// Only the oldest user can match, so concurrent callers promote at
		// most that one; role <> admin makes a caller that waited for
		// another's update (PostgreSQL re-checks the row) change nothing.
		oldest := tx.Model(&accountRow{}).Select("id").Order("id").Limit(1)
		anyAdmin := tx.Model(&accountRow{}).Select("1").Where("role = ?", admin)
		res := tx.Model(&accountRow{}).
			Where("id = (?) AND role <> ? AND NOT EXISTS (?)", oldest, admin, anyAdmin).
			Updates(map[string]any{"role": admin, "updated_at": now()})
		if res.Error != nil {
			return res.Error
		}
		changed += int(res.RowsAffected)
		return nil
	})
	if err != nil {
		return 0, wrap("promote admins", err)
	}
	return changed, nil
}

// CountFunctions counts an owner's functions.
func (s *Store) CountFunctions(ctx context.Context, ownerID string) (int, error) {
	id, ok := parseID(ownerID)
	if !ok {
		return 0, nil
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&functionRow{}).Where("owner_id = ?", id).Count(&n).Error; err != nil {
		return 0, wrap("count functions", err)
	}
	return int(n), nil
}
