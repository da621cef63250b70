package store

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

type keyRow struct {
	ID         string     `gorm:"column:id;primaryKey"`
	UserID     string     `gorm:"column:user_id"`
	Name       string     `gorm:"column:name"`
	Prefix     string     `gorm:"column:prefix"`
	Hash       string     `gorm:"column:hash"`
	Scopes     string     `gorm:"column:scopes"` // JSON array
	ExpiresAt  *time.Time `gorm:"column:expires_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
}

func (keyRow) TableName() string { return "api_keys" }

func (r *keyRow) toCore() (core.APIKey, error) {
	scopes := []core.Scope{}
	if err := json.Unmarshal([]byte(r.Scopes), &scopes); err != nil {
		return core.APIKey{}, wrap("decode api key scopes", err)
	}
	return core.APIKey{
		ID:         r.ID,
		UserID:     r.UserID,
		Name:       r.Name,
		Prefix:     r.Prefix,
		Hash:       r.Hash,
		Scopes:     scopes,
		ExpiresAt:  utcPtr(r.ExpiresAt),
		LastUsedAt: utcPtr(r.LastUsedAt),
		CreatedAt:  r.CreatedAt.UTC(),
	}, nil
}

var keyConflicts = conflicts{
	unique:     "an API key with this hash already exists",
	primaryKey: "an API key with this id already exists",
	foreignKey: "user not found",
}

// CreateKey stores k and, on success, fills its ID (when empty) and
// CreatedAt, and brings ExpiresAt and LastUsedAt to the stored form (UTC,
// microseconds).
func (s *Store) CreateKey(ctx context.Context, k *core.APIKey) error {
	userID, ok := parseID(k.UserID)
	if !ok {
		return notFound("user not found")
	}
	id, err := resolveID(k.ID, "API key")
	if err != nil {
		return err
	}
	scopes := k.Scopes
	if scopes == nil {
		scopes = []core.Scope{}
	}
	scopesJSON, err := json.Marshal(scopes)
	if err != nil {
		return wrap("encode api key scopes", err)
	}
	row := keyRow{
		ID:         id,
		UserID:     userID,
		Name:       k.Name,
		Prefix:     k.Prefix,
		Hash:       k.Hash,
		Scopes:     string(scopesJSON),
		ExpiresAt:  normTimePtr(k.ExpiresAt),
		LastUsedAt: normTimePtr(k.LastUsedAt),
		CreatedAt:  now(),
	}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mapWriteError("create api key", err, keyConflicts)
	}
	k.ID, k.UserID, k.Scopes, k.CreatedAt = row.ID, row.UserID, scopes, row.CreatedAt
	k.ExpiresAt, k.LastUsedAt = row.ExpiresAt, row.LastUsedAt
	return nil
}

// KeyByHash finds a key by the hex SHA-256 of its secret. Expiry is the
// caller's to check (core.APIKey.Expired).
func (s *Store) KeyByHash(ctx context.Context, hash string) (*core.APIKey, error) {
	var row keyRow
	if err := s.db.WithContext(ctx).Where("hash = ?", hash).Take(&row).Error; err != nil {
		return nil, mapReadError("api key by hash", "API key not found", err)
	}
	k, err := row.toCore()
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// ListKeys lists a user's keys oldest first.
func (s *Store) ListKeys(ctx context.Context, userID string, p core.Page) ([]core.APIKey, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	userID, ok := parseID(userID)
	if !ok {
		return []core.APIKey{}, "", nil
	}
	limit := pageLimit(p)
	q := s.db.WithContext(ctx).Where("user_id = ?", userID)
	if after != "" {
		q = q.Where("id > ?", after)
	}
	var rows []keyRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list api keys", err)
	}
	keys := make([]core.APIKey, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		k, err := rows[i].toCore()
		if err != nil {
			return nil, "", err
		}
		keys = append(keys, k)
	}
	next := ""
	if len(rows) > limit {
		next = encodeCursor(keys[len(keys)-1].ID)
	}
	return keys, next, nil
}

// DeleteKey deletes a user's key; another user's key is CodeNotFound.
func (s *Store) DeleteKey(ctx context.Context, userID, id string) error {
	userID, okUser := parseID(userID)
	id, okID := parseID(id)
	if !okUser || !okID {
		return notFound("API key not found")
	}
	res := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&keyRow{})
	if res.Error != nil {
		return wrap("delete api key", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("API key not found")
	}
	return nil
}

// TouchKeys sets last_used_at for each key in one transaction. The
// comparison is in the UPDATE itself, so a stale time never overwrites a
// newer one even when batches from several servers interleave. Unknown or
// malformed ids are ignored: the key may have been deleted since its use.
func (s *Store) TouchKeys(ctx context.Context, used map[string]time.Time) error {
	type touch struct {
		id string
		at time.Time
	}
	touches := make([]touch, 0, len(used))
	for id, at := range used {
		if id, ok := parseID(id); ok {
			touches = append(touches, touch{id, normTime(at)})
		}
	}
	if len(touches) == 0 {
		return nil
	}
	// A fixed order makes concurrent batches lock rows in the same order,
	// so they cannot deadlock on PostgreSQL.
	slices.SortFunc(touches, func(a, b touch) int { return cmp.Compare(a.id, b.id) })

	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range touches {
			err := tx.Model(&keyRow{}).
				Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", t.id, t.at).
				Update("last_used_at", t.at).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrap("touch api keys", err)
	}
	return nil
}
