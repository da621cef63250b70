package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// lastInvocationSQL reads the latest execution of each listed function of
// an owner. The subquery finds each one's highest id through
// executions_function_id_owner_id_id_idx, one index probe per function;
// the join then reads that row by primary key.
const lastInvocationSQL = `SELECT e.function_id, e.id, e.status, e.attempts, e.started_at, e.created_at
FROM functions f
JOIN executions e ON e.id = (
	SELECT x.id FROM executions x
	WHERE x.function_id = f.id AND x.owner_id = f.owner_id
	ORDER BY x.id DESC LIMIT 1)
WHERE f.owner_id = ? AND f.id IN ?`

type lastInvocationRow struct {
	FunctionID string     `gorm:"column:function_id"`
	ID         string     `gorm:"column:id"`
	Status     string     `gorm:"column:status"`
	Attempts   int        `gorm:"column:attempts"`
	StartedAt  *time.Time `gorm:"column:started_at"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
}

// LastInvocations returns the latest execution (highest id) of each of the
// owner's functions among functionIDs that has one, by function id, in one
// query for up to 500 ids. At is when that execution started, or when it
// was first saved if it has not.
func (s *Store) LastInvocations(ctx context.Context, ownerID string, functionIDs []string) (map[string]core.LastInvocation, error) {
	last := make(map[string]core.LastInvocation, len(functionIDs))
	ownerID, ok := parseID(ownerID)
	if !ok {
		return last, nil
	}
	ids := make([]string, 0, len(functionIDs))
	for _, id := range functionIDs {
		if v, ok := parseID(id); ok {
			ids = append(ids, v)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for chunk := range slices.Chunk(ids, saveBatch) {
		var rows []lastInvocationRow
		if err := s.db.WithContext(ctx).Raw(lastInvocationSQL, ownerID, chunk).Scan(&rows).Error; err != nil {
			return nil, wrap("last invocations", err)
		}
		for _, r := range rows {
			at := r.CreatedAt
			if r.StartedAt != nil {
				at = *r.StartedAt
			}
			last[strings.ToLower(r.FunctionID)] = core.LastInvocation{
				ExecutionID: strings.ToLower(r.ID), Status: core.ExecStatus(r.Status), Attempts: r.Attempts, At: at.UTC(),
			}
		}
	}
	return last, nil
}
