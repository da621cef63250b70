package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

type functionRow struct {
	ID             string    `gorm:"column:id;primaryKey"`
	OwnerID        string    `gorm:"column:owner_id"`
	Name           string    `gorm:"column:name"`
	Description    string    `gorm:"column:description"`
	Runtime        string    `gorm:"column:runtime"`
	Handler        string    `gorm:"column:handler"`
	MemoryMB       int       `gorm:"column:memory_mb"`
	TimeoutMS      int       `gorm:"column:timeout_ms"`
	Env            string    `gorm:"column:env"` // JSON object
	Public         bool      `gorm:"column:public"`
	MaxConcurrency int       `gorm:"column:max_concurrency"`
	AsyncAttempts  int       `gorm:"column:async_max_attempts"`
	AsyncRetryMS   int       `gorm:"column:async_retry_base_ms"`
	Code           []byte    `gorm:"column:code"`
	CodeSHA256     string    `gorm:"column:code_sha256"`
	CodeSize       int64     `gorm:"column:code_size"`
	CreatedAt      time.Time `gorm:"column:created_at"`
	UpdatedAt      time.Time `gorm:"column:updated_at"`
}

func (functionRow) TableName() string { return "functions" }

// listColumns is every column but code: lists must not read the blobs.
var listColumns = []string{
	"id", "owner_id", "name", "description", "runtime", "handler", "memory_mb",
	"timeout_ms", "env", "public", "max_concurrency", "code_sha256", "code_size", "created_at", "updated_at",
	"async_max_attempts", "async_retry_base_ms",
}

func (r *functionRow) toCore(withCode bool) (core.Function, error) {
	env := map[string]string{}
	if err := json.Unmarshal([]byte(r.Env), &env); err != nil {
		return core.Function{}, wrap("decode function env", err)
	}
	f := core.Function{
		ID:             r.ID,
		OwnerID:        r.OwnerID,
		Name:           r.Name,
		Description:    r.Description,
		Runtime:        core.Runtime(r.Runtime),
		Handler:        r.Handler,
		MemoryMB:       r.MemoryMB,
		TimeoutMS:      r.TimeoutMS,
		Env:            env,
		Public:         r.Public,
		MaxConcurrency: r.MaxConcurrency,
		CodeSHA256:     r.CodeSHA256,
		CodeSize:       r.CodeSize,
		CreatedAt:      r.CreatedAt.UTC(),
		UpdatedAt:      r.UpdatedAt.UTC(),
	}
	f.AsyncMaxAttempts, f.AsyncRetryBaseMS = r.AsyncAttempts, r.AsyncRetryMS
	if withCode {
		// Non-nil even when empty: nil means "listed without code".
		f.Code = r.Code
		if f.Code == nil {
			f.Code = []byte{}
		}
	}
	return f, nil
}

var functionConflicts = conflicts{
	unique:     "a function with this name already exists",
	primaryKey: "a function with this id already exists",
	foreignKey: "owner not found",
	others: []uniqueKey{{
		constraint: "functions_public_name_key",
		columns:    "functions.name",
		message:    "a public function with this name already exists",
	}},
}

// maxConcurrency is the stored form of a concurrency cap: a value below 1
// means unset and is stored as core.DefaultMaxConcurrency, so a stored 0
// never comes back (the column's CHECK refuses it too).
func maxConcurrency(n int) int {
	if n < 1 {
		return core.DefaultMaxConcurrency
	}
	return n
}

// orDefault is the stored form of an async retry setting: below 1 means
// unset and is stored as def (the columns' CHECKs refuse 0).
func orDefault(n, def int) int {
	if n < 1 {
		return def
	}
	return n
}

func encodeEnv(env map[string]string) (string, error) {
	if env == nil {
		return "{}", nil
	}
	b, err := json.Marshal(env)
	if err != nil {
		return "", wrap("encode function env", err)
	}
	return string(b), nil
}

// CreateFunction stores f and, on success, fills its ID (when empty) and
// timestamps. Code, CodeSHA256 and CodeSize are stored as given (the API
// derives them from one bundle; CodeSize is its unpacked size); nil Code is
// stored as empty; MaxConcurrency (and the async retry settings) below 1
// are stored, and filled in, as core.DefaultMaxConcurrency (and
// core.DefaultAsyncMaxAttempts, core.DefaultAsyncRetryBaseMS). A name the owner already uses, or a public
// function's name another public function has, is CodeConflict.
func (s *Store) CreateFunction(ctx context.Context, f *core.Function) error {
	ownerID, ok := parseID(f.OwnerID)
	if !ok {
		return notFound("owner not found")
	}
	id, err := resolveID(f.ID, "function")
	if err != nil {
		return err
	}
	env, err := encodeEnv(f.Env)
	if err != nil {
		return err
	}
	code := f.Code
	if code == nil {
		code = []byte{}
	}
	t := now()
	row := functionRow{
		ID:             id,
		OwnerID:        ownerID,
		Name:           f.Name,
		Description:    f.Description,
		Runtime:        string(f.Runtime),
		Handler:        f.Handler,
		MemoryMB:       f.MemoryMB,
		TimeoutMS:      f.TimeoutMS,
		Env:            env,
		Public:         f.Public,
		MaxConcurrency: maxConcurrency(f.MaxConcurrency),
		AsyncAttempts:  orDefault(f.AsyncMaxAttempts, core.DefaultAsyncMaxAttempts),
		AsyncRetryMS:   orDefault(f.AsyncRetryBaseMS, core.DefaultAsyncRetryBaseMS),
		Code:           code,
		CodeSHA256:     f.CodeSHA256,
		CodeSize:       f.CodeSize,
		CreatedAt:      t,
		UpdatedAt:      t,
	}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mapWriteError("create function", err, functionConflicts)
	}
	f.ID, f.OwnerID, f.Code, f.CreatedAt, f.UpdatedAt = id, ownerID, code, t, t
	f.MaxConcurrency = row.MaxConcurrency
	f.AsyncMaxAttempts, f.AsyncRetryBaseMS = row.AsyncAttempts, row.AsyncRetryMS
	return nil
}

// Function finds an owner's function, with its code, by id or by name. A
// string that parses as a UUID is tried as an id first, then as a name: a
// valid function name can look like a UUID.
func (s *Store) Function(ctx context.Context, ownerID, idOrName string) (*core.Function, error) {
	ownerID, ok := parseID(ownerID)
	if !ok {
		return nil, notFound("function not found")
	}
	if id, ok := parseID(idOrName); ok {
		f, err := s.functionWhere(ctx, "owner_id = ? AND id = ?", ownerID, id)
		if !core.IsNotFound(err) {
			return f, err
		}
	}
	return s.functionWhere(ctx, "owner_id = ? AND name = ?", ownerID, idOrName)
}

// PublicFunction finds the public function with this name, with its code,
// whoever owns it. A private function, or none, is CodeNotFound.
func (s *Store) PublicFunction(ctx context.Context, name string) (*core.Function, error) {
	// "AND public" as written matches the partial index's predicate, so
	// SQLite uses functions_public_name_key (a bound true would not).
	return s.functionWhere(ctx, "name = ? AND public", name)
}

func (s *Store) functionWhere(ctx context.Context, where string, args ...any) (*core.Function, error) {
	var row functionRow
	if err := s.db.WithContext(ctx).Where(where, args...).Take(&row).Error; err != nil {
		return nil, mapReadError("get function", "function not found", err)
	}
	f, err := row.toCore(true)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// ListFunctions lists an owner's functions oldest first, without code.
func (s *Store) ListFunctions(ctx context.Context, ownerID string, p core.Page) ([]core.Function, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	ownerID, ok := parseID(ownerID)
	if !ok {
		return []core.Function{}, "", nil
	}
	limit := pageLimit(p)
	q := s.db.WithContext(ctx).Select(listColumns).Where("owner_id = ?", ownerID)
	if after != "" {
		q = q.Where("id > ?", after)
	}
	var rows []functionRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list functions", err)
	}
	fns := make([]core.Function, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		f, err := rows[i].toCore(false)
		if err != nil {
			return nil, "", err
		}
		fns = append(fns, f)
	}
	next := ""
	if len(rows) > limit {
		next = encodeCursor(fns[len(fns)-1].ID)
	}
	return fns, next, nil
}

// UpdateFunction saves every mutable field of the function (OwnerID, ID)
// and, when f.Code is not nil, Code, CodeSHA256 and CodeSize; with nil
// Code the stored code and its digest are kept whatever f says. It sets
// f.UpdatedAt. MaxConcurrency and the async retry settings below 1 are
// stored, and filled in, as their defaults. No such function for the owner is
// CodeNotFound; a rename to a name the owner already uses is CodeConflict,
// and so is making public, or renaming a public function to, a name another
// public function has.
func (s *Store) UpdateFunction(ctx context.Context, f *core.Function) error {
	ownerID, okOwner := parseID(f.OwnerID)
	id, okID := parseID(f.ID)
	if !okOwner || !okID {
		return notFound("function not found")
	}
	env, err := encodeEnv(f.Env)
	if err != nil {
		return err
	}
	t := now()
	concurrency := maxConcurrency(f.MaxConcurrency)
	cols := map[string]any{
		"name":            f.Name,
		"description":     f.Description,
		"runtime":         string(f.Runtime),
		"handler":         f.Handler,
		"memory_mb":       f.MemoryMB,
		"timeout_ms":      f.TimeoutMS,
		"env":             env,
		"public":          f.Public,
		"max_concurrency": concurrency,
		"updated_at":      t,
	}
	attempts := orDefault(f.AsyncMaxAttempts, core.DefaultAsyncMaxAttempts)
	retryMS := orDefault(f.AsyncRetryBaseMS, core.DefaultAsyncRetryBaseMS)
	cols["async_max_attempts"], cols["async_retry_base_ms"] = attempts, retryMS
	if f.Code != nil {
		cols["code"], cols["code_sha256"], cols["code_size"] = f.Code, f.CodeSHA256, f.CodeSize
	}
	res := s.db.WithContext(ctx).Model(&functionRow{}).
		Where("id = ? AND owner_id = ?", id, ownerID).Updates(cols)
	if res.Error != nil {
		return mapWriteError("update function", res.Error, functionConflicts)
	}
	if res.RowsAffected == 0 {
		return notFound("function not found")
	}
	f.ID, f.OwnerID, f.MaxConcurrency, f.UpdatedAt = id, ownerID, concurrency, t
	f.AsyncMaxAttempts, f.AsyncRetryBaseMS = attempts, retryMS
	return nil
}

// DeleteFunction deletes an owner's function; another owner's is
// CodeNotFound.
func (s *Store) DeleteFunction(ctx context.Context, ownerID, id string) error {
	ownerID, okOwner := parseID(ownerID)
	id, okID := parseID(id)
	if !okOwner || !okID {
		return notFound("function not found")
	}
	res := s.db.WithContext(ctx).Where("id = ? AND owner_id = ?", id, ownerID).Delete(&functionRow{})
	if res.Error != nil {
		return wrap("delete function", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("function not found")
	}
	return nil
}
