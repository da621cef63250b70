package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/voltrun/voltrun/internal/core"
)

type aliasRow struct {
	FunctionID     string    `gorm:"column:function_id;primaryKey"`
	Name           string    `gorm:"column:name;primaryKey"`
	Version        int       `gorm:"column:version"`
	RoutingVersion *int      `gorm:"column:routing_version"`
	RoutingWeight  float64   `gorm:"column:routing_weight"`
	Description    string    `gorm:"column:description"`
	CreatedAt      time.Time `gorm:"column:created_at"`
	UpdatedAt      time.Time `gorm:"column:updated_at"`
}

func (aliasRow) TableName() string { return "function_aliases" }

func (r *aliasRow) toCore() core.Alias {
	a := core.Alias{
		FunctionID: r.FunctionID, Name: r.Name, Version: r.Version, Description: r.Description,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.RoutingVersion != nil {
		a.Routing = &core.AliasRouting{Version: *r.RoutingVersion, Weight: r.RoutingWeight}
	}
	return a
}

var aliasConflicts = conflicts{
	unique:     "an alias with this name already exists",
	primaryKey: "an alias with this name already exists",
	foreignKey: "version not found",
}

// PutAlias creates the alias or moves it (keeping its creation time). A
// version that does not exist is CodeNotFound.
func (s *Store) PutAlias(ctx context.Context, ownerID string, a *core.Alias) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fnID, err := s.ownedFunction(ctx, tx, ownerID, a.FunctionID)
		if err != nil {
			return err
		}
		t := now()
		row := aliasRow{FunctionID: fnID, Name: a.Name, Version: a.Version, Description: a.Description, CreatedAt: t, UpdatedAt: t}
		if a.Routing != nil {
			v := a.Routing.Version
			row.RoutingVersion, row.RoutingWeight = &v, a.Routing.Weight
		}
		err = tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "function_id"}, {Name: "name"}},
			DoUpdates: clause.AssignmentColumns([]string{"version", "routing_version", "routing_weight", "description", "updated_at"}),
		}).Create(&row).Error
		if err != nil {
			return mapWriteError("put alias", err, aliasConflicts)
		}
		var stored aliasRow
		if err := tx.Where("function_id = ? AND name = ?", fnID, a.Name).Take(&stored).Error; err != nil {
			return mapReadError("put alias", "alias not found", err)
		}
		*a = stored.toCore()
		return nil
	})
}

// Alias returns one alias of an owner's function.
func (s *Store) Alias(ctx context.Context, ownerID, functionID, name string) (*core.Alias, error) {
	fnID, err := s.ownedFunction(ctx, s.db, ownerID, functionID)
	if err != nil {
		return nil, err
	}
	var row aliasRow
	if err := s.db.WithContext(ctx).Where("function_id = ? AND name = ?", fnID, name).Take(&row).Error; err != nil {
		return nil, mapReadError("get alias", "alias not found", err)
	}
	a := row.toCore()
	return &a, nil
}

// ListAliases lists a function's aliases by name.
func (s *Store) ListAliases(ctx context.Context, ownerID, functionID string) ([]core.Alias, error) {
	fnID, err := s.ownedFunction(ctx, s.db, ownerID, functionID)
	if err != nil {
		return nil, err
	}
	var rows []aliasRow
	if err := s.db.WithContext(ctx).Where("function_id = ?", fnID).Order("name").Find(&rows).Error; err != nil {
		return nil, wrap("list aliases", err)
	}
	out := make([]core.Alias, len(rows))
	for i := range rows {
		out[i] = rows[i].toCore()
	}
	return out, nil
}

// DeleteAlias deletes an alias.
func (s *Store) DeleteAlias(ctx context.Context, ownerID, functionID, name string) error {
	fnID, err := s.ownedFunction(ctx, s.db, ownerID, functionID)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Where("function_id = ? AND name = ?", fnID, name).Delete(&aliasRow{})
	if res.Error != nil {
		return wrap("delete alias", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("alias not found")
	}
	return nil
}
