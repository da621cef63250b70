package store

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"github.com/voltrun/voltrun/internal/core"
)

type webhookRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	OwnerID      string    `gorm:"column:owner_id"`
	URL          string    `gorm:"column:url"`
	Events       string    `gorm:"column:events"` // JSON array
	AllAccounts  bool      `gorm:"column:all_accounts"`
	Secret       string    `gorm:"column:secret"`
	LastReportAt time.Time `gorm:"column:last_report_at"`
	ReportSeq    int64     `gorm:"column:report_seq"`
	CreatedAt    time.Time `gorm:"column:created_at"`
}

func (webhookRow) TableName() string { return "webhooks" }

func (r *webhookRow) toCore() (core.Webhook, error) {
	var events []core.EventType
	if err := json.Unmarshal([]byte(r.Events), &events); err != nil {
		return core.Webhook{}, wrap("decode webhook events", err)
	}
	return core.Webhook{
		ID: r.ID, OwnerID: r.OwnerID, URL: r.URL, Events: events, AllAccounts: r.AllAccounts, Secret: r.Secret,
		CreatedAt: r.CreatedAt.UTC(), LastReportAt: r.LastReportAt.UTC(), ReportSeq: r.ReportSeq,
	}, nil
}

var webhookConflicts = conflicts{
	unique:     "this webhook already exists",
	primaryKey: "a webhook with this id already exists",
	foreignKey: "owner not found",
}

// CreateWebhook stores w and fills its ID (when empty), CreatedAt and
// LastReportAt (now: the first usage report is due one interval later).
func (s *Store) CreateWebhook(ctx context.Context, w *core.Webhook) error {
	id, err := resolveID(w.ID, "webhook")
	if err != nil {
		return err
	}
	ownerID, ok := parseID(w.OwnerID)
	if !ok {
		return notFound("owner not found")
	}
	events, err := json.Marshal(w.Events)
	if err != nil {
		return wrap("encode webhook events", err)
	}
	t := now()
	row := webhookRow{
		ID: id, OwnerID: ownerID, URL: w.URL, Events: string(events), AllAccounts: w.AllAccounts,
		Secret: w.Secret, LastReportAt: t, CreatedAt: t,
	}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return mapWriteError("create webhook", err, webhookConflicts)
	}
	w.ID, w.OwnerID, w.CreatedAt, w.LastReportAt, w.ReportSeq = id, ownerID, t, t, 0
	return nil
}

// Webhook finds an owner's webhook.
func (s *Store) Webhook(ctx context.Context, ownerID, id string) (*core.Webhook, error) {
	ownerID, okOwner := parseID(ownerID)
	id, okID := parseID(id)
	if !okOwner || !okID {
		return nil, notFound("webhook not found")
	}
	var row webhookRow
	if err := s.db.WithContext(ctx).Where("id = ? AND owner_id = ?", id, ownerID).Take(&row).Error; err != nil {
		return nil, mapReadError("get webhook", "webhook not found", err)
	}
	w, err := row.toCore()
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// ListWebhooks lists an owner's webhooks oldest first.
func (s *Store) ListWebhooks(ctx context.Context, ownerID string, p core.Page) ([]core.Webhook, string, error) {
	after, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	ownerID, ok := parseID(ownerID)
	if !ok {
		return []core.Webhook{}, "", nil
	}
	limit := pageLimit(p)
	q := s.db.WithContext(ctx).Where("owner_id = ?", ownerID)
	if after != "" {
		q = q.Where("id > ?", after)
	}
	var rows []webhookRow
	if err := q.Order("id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list webhooks", err)
	}
	hooks := make([]core.Webhook, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		w, err := rows[i].toCore()
		if err != nil {
			return nil, "", err
		}
		hooks = append(hooks, w)
	}
	next := ""
	if len(rows) > limit {
		next = encodeCursor(hooks[len(hooks)-1].ID)
	}
	return hooks, next, nil
}

// DeleteWebhook deletes an owner's webhook; its deliveries go with it.
func (s *Store) DeleteWebhook(ctx context.Context, ownerID, id string) error {
	ownerID, okOwner := parseID(ownerID)
	id, okID := parseID(id)
	if !okOwner || !okID {
		return notFound("webhook not found")
	}
	res := s.db.WithContext(ctx).Where("id = ? AND owner_id = ?", id, ownerID).Delete(&webhookRow{})
	if res.Error != nil {
		return wrap("delete webhook", res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("webhook not found")
	}
	return nil
}

// ListDeliveries lists the deliveries of an owner's webhook newest first;
// another owner's webhook is CodeNotFound.
func (s *Store) ListDeliveries(ctx context.Context, ownerID, webhookID string, p core.Page) ([]core.Delivery, string, error) {
	before, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.Webhook(ctx, ownerID, webhookID); err != nil {
		return nil, "", err
	}
	webhookID, _ = parseID(webhookID)
	limit := pageLimit(p)
	q := s.db.WithContext(ctx).Omit("payload").Where("webhook_id = ?", webhookID)
	if before != "" {
		q = q.Where("id < ?", before)
	}
	var rows []deliveryRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap("list deliveries", err)
	}
	ds := make([]core.Delivery, 0, min(len(rows), limit))
	for i := range rows[:min(len(rows), limit)] {
		ds = append(ds, rows[i].toCore())
	}
	next := ""
	if len(rows) > limit {
		next = encodeCursor(ds[len(ds)-1].ID)
	}
	return ds, next, nil
}

// subscribers returns the webhooks that receive events of type t about
// any of owners: each owner's own and every all-accounts webhook.
func subscribers(tx *gorm.DB, t core.EventType, owners []string) ([]core.Webhook, error) {
	var rows []webhookRow
	// events is a JSON array of known names, so a LIKE on the quoted name
	// narrows without false positives; Subscribes checks again.
	err := tx.Where("(owner_id IN ? OR all_accounts) AND events LIKE ?", owners, `%"`+string(t)+`"%`).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	hooks := make([]core.Webhook, 0, len(rows))
	for i := range rows {
		w, err := rows[i].toCore()
		if err != nil {
			return nil, err
		}
		if w.Subscribes(t) {
			hooks = append(hooks, w)
		}
	}
	return hooks, nil
}
