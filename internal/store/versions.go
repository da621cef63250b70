package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

type versionRow struct {
	FunctionID  string    `gorm:"column:function_id;primaryKey"`
	Number      int       `gorm:"column:number;primaryKey"`
	Description string    `gorm:"column:description"`
	Runtime     string    `gorm:"column:runtime"`
	Handler     string    `gorm:"column:handler"`
	MemoryMB    int       `gorm:"column:memory_mb"`
	TimeoutMS   int       `gorm:"column:timeout_ms"`
	Env         string    `gorm:"column:env"`
	Code        []byte    `gorm:"column:code"`
	CodeSHA256  string    `gorm:"column:code_sha256"`
	CodeSize    int64     `gorm:"column:code_size"`
	CreatedAt   time.Time `gorm:"column:created_at"`
}

func (versionRow) TableName() string { return "function_versions" }

// versionListColumns leaves out the code: lists must not read it.
var versionListColumns = []string{
	"function_id", "number", "description", "runtime", "handler", "memory_mb",
	"timeout_ms", "env", "code_sha256", "code_size", "created_at",
}

func (r *versionRow) toCore(withCode bool) (core.Version, error) {
	env := map[string]string{}
	if err := json.Unmarshal([]byte(r.Env), &env); err != nil {
		return core.Version{}, wrap("decode version env", err)
	}
	v := core.Version{
		FunctionID: r.FunctionID, Number: r.Number, Description: r.Description,
		Runtime: core.Runtime(r.Runtime), Handler: r.Handler, MemoryMB: r.MemoryMB, TimeoutMS: r.TimeoutMS,
		Env: env, CodeSHA256: r.CodeSHA256, CodeSize: r.CodeSize, CreatedAt: r.CreatedAt.UTC(),
	}
	if withCode {
		v.Code = r.Code
	}
	return v, nil
}

// PublishVersion copies the draft into the next version number inside the
// database, so the code is never read into memory to be written back.
// Publishes of one function take turns: on PostgreSQL each locks the
// function's row first (SQLite's write transactions already exclude each
// other), so none picks a number another is about to take. Retrying on the
// primary key instead failed a publish that lost eight times in a row,
// which twelve at once on a busy host did.
func (s *Store) PublishVersion(ctx context.Context, ownerID, functionID, description string) (*core.Version, error) {
	ownerID, okOwner := parseID(ownerID)
	fnID, okFn := parseID(functionID)
	if !okOwner || !okFn {
		return nil, notFound("function not found")
	}
	var number int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.dialect == DialectPostgres {
			var ids []string
			err := tx.Raw(`SELECT id FROM functions WHERE id = ? AND owner_id = ? FOR UPDATE`, fnID, ownerID).Scan(&ids).Error
			if err != nil || len(ids) == 0 {
				return err
			}
		}
		return tx.Raw(`INSERT INTO function_versions
			(function_id, number, description, runtime, handler, memory_mb, timeout_ms, env, code, code_sha256, code_size, created_at)
			SELECT id, COALESCE((SELECT MAX(number) FROM function_versions WHERE function_id = ?), 0) + 1,
			       ?, runtime, handler, memory_mb, timeout_ms, env, code, code_sha256, code_size, ?
			FROM functions WHERE id = ? AND owner_id = ?
			RETURNING number`, fnID, description, now(), fnID, ownerID).Scan(&number).Error
	})
	if err != nil {
		return nil, wrap("publish version", err)
	}
	if number == 0 {
		return nil, notFound("function not found")
	}
	return s.versionWhere(ctx, false, "function_id = ? AND number = ?", fnID, number)
}

// Version returns one of an owner's function versions with its code.
func (s *Store) Version(ctx context.Context, ownerID, functionID string, number int) (*core.Version, error) {
	fnID, err := s.ownedFunction(ctx, s.db, ownerID, functionID)
	if err != nil {
		return nil, err
	}
	return s.versionWhere(ctx, true, "function_id = ? AND number = ?", fnID, number)
}

func (s *Store) versionWhere(ctx context.Context, withCode bool, where string, args ...any) (*core.Version, error) {
	q := s.db.WithContext(ctx)
	if !withCode {
		q = q.Select(versionListColumns)
	}
	var row versionRow
	if err := q.Where(where, args...).Take(&row).Error; err != nil {
		return nil, mapReadError("get version", "version not found", err)
	}
	v, err := row.toCore(withCode)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ListVersions lists versions newest first, without code. The cursor is the
// last number shown.
func (s *Store) ListVersions(ctx context.Context, ownerID, functionID string, p core.Page) ([]core.Version, string, error) {
	fnID, err := s.ownedFunction(ctx, s.db, ownerID, functionID)
	if err != nil {
		return nil, "", err
	}
	q := s.db.WithContext(ctx).Select(versionListColumns).Where("function_id = ?", fnID)
	if p.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		n, convErr := strconv.Atoi(string(raw))
		if err != nil || convErr != nil || n < 1 {
			return nil, "", invalid("malformed cursor")
		}
		q = q.Where("number < ?", n)
	}
	limit := pageLimit(p)
	var rows []versionRow
	if err := q.Order("number DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list versions", err)
	}
	vs := make([]core.Version, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		v, err := rows[i].toCore(false)
		if err != nil {
			return nil, "", err
		}
		vs = append(vs, v)
	}
	next := ""
	if len(rows) > limit {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(vs[len(vs)-1].Number)))
	}
	return vs, next, nil
}

// DeleteVersion deletes a version no alias points at.
func (s *Store) DeleteVersion(ctx context.Context, ownerID, functionID string, number int) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fnID, err := s.ownedFunction(ctx, tx, ownerID, functionID)
		if err != nil {
			return err
		}
		var alias string
		err = tx.Table("function_aliases").Select("name").
			Where("function_id = ? AND (version = ? OR routing_version = ?)", fnID, number, number).
			Order("name").Limit(1).Scan(&alias).Error
		if err != nil {
			return wrap("delete version", err)
		}
		if alias != "" {
			return &core.Error{
				Code:    core.CodeConflict,
				Message: fmt.Sprintf("version %d is used by alias %q: move or delete the alias first", number, alias),
			}
		}
		res := tx.Where("function_id = ? AND number = ?", fnID, number).Delete(&versionRow{})
		if res.Error != nil {
			if classify(res.Error) == foreignKeyViolation {
				return &core.Error{Code: core.CodeConflict, Message: fmt.Sprintf("version %d is used by an alias", number), Err: res.Error}
			}
			return wrap("delete version", res.Error)
		}
		if res.RowsAffected == 0 {
			return notFound("version not found")
		}
		return nil
	})
}

// ownedFunction returns the canonical id of an owner's function, or
// CodeNotFound.
func (s *Store) ownedFunction(ctx context.Context, db *gorm.DB, ownerID, functionID string) (string, error) {
	ownerID, okOwner := parseID(ownerID)
	fnID, okFn := parseID(functionID)
	if !okOwner || !okFn {
		return "", notFound("function not found")
	}
	var n int64
	if err := db.WithContext(ctx).Table("functions").Where("id = ? AND owner_id = ?", fnID, ownerID).Count(&n).Error; err != nil {
		return "", wrap("find function", err)
	}
	if n == 0 {
		return "", notFound("function not found")
	}
	return fnID, nil
}
