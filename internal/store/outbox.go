package store

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/voltrun/voltrun/internal/core"
)

type deliveryRow struct {
	ID            string     `gorm:"column:id;primaryKey"`
	WebhookID     string     `gorm:"column:webhook_id"`
	EventID       string     `gorm:"column:event_id"`
	EventType     string     `gorm:"column:event_type"`
	Payload       string     `gorm:"column:payload"`
	Status        string     `gorm:"column:status"`
	Attempts      int        `gorm:"column:attempts"`
	NextAttemptAt *time.Time `gorm:"column:next_attempt_at"`
	ResponseCode  int        `gorm:"column:response_code"`
	Error         string     `gorm:"column:error"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
	DeliveredAt   *time.Time `gorm:"column:delivered_at"`
}

func (deliveryRow) TableName() string { return "webhook_deliveries" }

func (r *deliveryRow) toCore() core.Delivery {
	return core.Delivery{
		ID: r.ID, WebhookID: r.WebhookID, EventID: r.EventID, EventType: core.EventType(r.EventType),
		Status: core.DeliveryStatus(r.Status), Attempts: r.Attempts, ResponseCode: r.ResponseCode, Error: r.Error,
		NextAttemptAt: utcPtr(r.NextAttemptAt), CreatedAt: r.CreatedAt.UTC(), DeliveredAt: utcPtr(r.DeliveredAt),
		Payload: []byte(r.Payload),
	}
}

// maxErrorText caps the stored error of an attempt.
const maxErrorText = 500

// newEvent fills ev's id and time when unset and returns its JSON body.
func newEvent(ev *core.Event, at time.Time) (string, error) {
	if ev.ID == "" {
		id, err := newID()
		if err != nil {
			return "", err
		}
		ev.ID = id
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = at
	}
	ev.CreatedAt = normTime(ev.CreatedAt)
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return "", wrap("encode event", err)
	}
	return string(body), nil
}

// deliveriesOf returns a pending delivery of the event to each hook, due
// at once.
func deliveriesOf(ev *core.Event, body string, hooks []core.Webhook, at time.Time) ([]deliveryRow, error) {
	rows := make([]deliveryRow, 0, len(hooks))
	for _, w := range hooks {
		id, err := newID()
		if err != nil {
			return nil, err
		}
		due := at
		rows = append(rows, deliveryRow{
			ID: id, WebhookID: w.ID, EventID: ev.ID, EventType: string(ev.Type), Payload: body,
			Status: string(core.DeliveryPending), NextAttemptAt: &due, CreatedAt: at,
		})
	}
	return rows, nil
}

// EnqueueEvent queues a delivery of ev to each webhook subscribed to its
// type: ev.AccountID's own and every all-accounts webhook. It fills ev's
// ID and CreatedAt when unset.
func (s *Store) EnqueueEvent(ctx context.Context, ev *core.Event) (int, error) {
	at := now()
	body, err := newEvent(ev, at)
	if err != nil {
		return 0, err
	}
	var owners []string
	if id, ok := parseID(ev.AccountID); ok {
		owners = append(owners, id)
	}
	n := 0
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		hooks, err := subscribers(tx, ev.Type, owners)
		if err != nil {
			return err
		}
		rows, err := deliveriesOf(ev, body, hooks, at)
		if err != nil || len(rows) == 0 {
			return err
		}
		n = len(rows)
		return tx.Create(&rows).Error
	})
	if err != nil {
		return 0, wrap("enqueue event", err)
	}
	return n, nil
}

// queueFailures queues an invocation.failed event for each failed row to
// the webhooks subscribed to it, in SaveExecutions' transaction.
func queueFailures(tx *gorm.DB, rows []*executionRow, at time.Time) error {
	var failed []*executionRow
	for _, r := range rows {
		if core.ExecStatus(r.Status).Failed() {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	owners := make([]string, 0, len(failed))
	for _, r := range failed {
		owners = append(owners, r.OwnerID)
	}
	slices.Sort(owners)
	hooks, err := subscribers(tx, core.EventInvocationFailed, slices.Compact(owners))
	if err != nil || len(hooks) == 0 {
		return err
	}
	var out []deliveryRow
	for _, r := range failed {
		var mine []core.Webhook
		for _, w := range hooks {
			if w.AllAccounts || w.OwnerID == r.OwnerID {
				mine = append(mine, w)
			}
		}
		if len(mine) == 0 {
			continue
		}
		e, err := r.toCore(false)
		if err != nil {
			return err
		}
		data, err := json.Marshal(core.FailedInvocationOf(&e))
		if err != nil {
			return wrap("encode invocation.failed", err)
		}
		ev := core.Event{Type: core.EventInvocationFailed, AccountID: r.OwnerID, Data: data}
		body, err := newEvent(&ev, at)
		if err != nil {
			return err
		}
		ds, err := deliveriesOf(&ev, body, mine, at)
		if err != nil {
			return err
		}
		out = append(out, ds...)
	}
	for chunk := range slices.Chunk(out, saveBatch) {
		if err := tx.Create(&chunk).Error; err != nil {
			return err
		}
	}
	return nil
}

// claimRow is a leased delivery with its webhook's address and secret.
type claimRow struct {
	ID           string `gorm:"column:id"`
	WebhookID    string `gorm:"column:webhook_id"`
	EventID      string `gorm:"column:event_id"`
	EventType    string `gorm:"column:event_type"`
	Payload      string `gorm:"column:payload"`
	Attempts     int    `gorm:"column:attempts"`
	ResponseCode int    `gorm:"column:response_code"`
	Error        string `gorm:"column:error"`
	URL          string `gorm:"column:url"`
	Secret       string `gorm:"column:secret"`
}

// ClaimDeliveries leases up to limit due pending deliveries, oldest due
// first. Each gets its next attempt number and is due again at now+lease,
// so a sender that dies mid-attempt leaves it to be retried, and other
// senders skip it meanwhile (SKIP LOCKED on PostgreSQL; SQLite has one
// writer at a time).
func (s *Store) ClaimDeliveries(ctx context.Context, at time.Time, lease time.Duration, limit int) ([]core.Delivery, error) {
	at = normTime(at)
	until := normTime(at.Add(lease))
	var claimed []claimRow
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []string
		err := tx.Model(&deliveryRow{}).Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("status = ? AND next_attempt_at <= ?", string(core.DeliveryPending), at).
			Order("next_attempt_at, id").Limit(limit).Pluck("id", &ids).Error
		if err != nil || len(ids) == 0 {
			return err
		}
		err = tx.Model(&deliveryRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "next_attempt_at": until}).Error
		if err != nil {
			return err
		}
		return tx.Table("webhook_deliveries").
			Select("webhook_deliveries.id, webhook_deliveries.webhook_id, webhook_deliveries.event_id, "+
				"webhook_deliveries.event_type, webhook_deliveries.payload, webhook_deliveries.attempts, "+
				"webhook_deliveries.response_code, webhook_deliveries.error, webhooks.url, webhooks.secret").
			Joins("JOIN webhooks ON webhooks.id = webhook_deliveries.webhook_id").
			Where("webhook_deliveries.id IN ?", ids).
			Order("webhook_deliveries.id").Scan(&claimed).Error
	})
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	ds := make([]core.Delivery, len(claimed))
	for i := range claimed {
		c := &claimed[i]
		next := until
		ds[i] = core.Delivery{
			ID: c.ID, WebhookID: c.WebhookID, EventID: c.EventID, EventType: core.EventType(c.EventType),
			Status: core.DeliveryPending, Attempts: c.Attempts, ResponseCode: c.ResponseCode, Error: c.Error,
			NextAttemptAt: &next, Payload: []byte(c.Payload), URL: c.URL, Secret: c.Secret,
		}
	}
	return ds, nil
}

// FinishAttempt records an attempt's outcome: succeeded, rescheduled at
// a.Retry, or failed for good when a.Retry is zero. An attempt whose
// number is no longer the delivery's (its lease expired and another sender
// took it over) or that finished already changes nothing.
func (s *Store) FinishAttempt(ctx context.Context, a core.Attempt) error {
	id, ok := parseID(a.DeliveryID)
	if !ok {
		return notFound("delivery not found")
	}
	errText := storableText(a.Error)
	if len(errText) > maxErrorText {
		errText = errText[:maxErrorText]
		errText = storableText(errText) // a cut may split a character
	}
	set := map[string]any{"response_code": a.ResponseCode, "error": errText}
	t := now()
	switch {
	case a.Succeeded:
		set["status"], set["next_attempt_at"], set["delivered_at"] = string(core.DeliverySucceeded), nil, t
	case a.Retry.IsZero():
		set["status"], set["next_attempt_at"] = string(core.DeliveryFailed), nil
	default:
		set["next_attempt_at"] = normTime(a.Retry)
	}
	err := s.db.WithContext(ctx).Model(&deliveryRow{}).
		Where("id = ? AND attempts = ? AND status = ?", id, a.Number, string(core.DeliveryPending)).
		Updates(set).Error
	if err != nil {
		return wrap("finish delivery attempt", err)
	}
	return nil
}

// DueReports lists the webhooks subscribed to usage.report whose last
// report was queued at least every ago.
func (s *Store) DueReports(ctx context.Context, at time.Time, every time.Duration) ([]core.Webhook, error) {
	var rows []webhookRow
	err := s.db.WithContext(ctx).Where("events LIKE ? AND last_report_at <= ?",
		`%"`+string(core.EventUsageReport)+`"%`, normTime(at.Add(-every))).Order("id").Find(&rows).Error
	if err != nil {
		return nil, wrap("due usage reports", err)
	}
	hooks := make([]core.Webhook, 0, len(rows))
	for i := range rows {
		w, err := rows[i].toCore()
		if err != nil {
			return nil, err
		}
		if w.Subscribes(core.EventUsageReport) {
			hooks = append(hooks, w)
		}
	}
	return hooks, nil
}

// EnqueueReport queues ev to w alone and marks w reported at ev.CreatedAt,
// in one transaction, unless w's report sequence moved since w was read:
// another server queued this report first, and nothing is queued.
func (s *Store) EnqueueReport(ctx context.Context, w *core.Webhook, ev *core.Event) (bool, error) {
	at := now()
	body, err := newEvent(ev, at)
	if err != nil {
		return false, err
	}
	queued := false
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&webhookRow{}).Where("id = ? AND report_seq = ?", w.ID, w.ReportSeq).
			Updates(map[string]any{"last_report_at": ev.CreatedAt, "report_seq": w.ReportSeq + 1})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		rows, err := deliveriesOf(ev, body, []core.Webhook{*w}, at)
		if err != nil {
			return err
		}
		queued = true
		return tx.Create(&rows).Error
	})
	if err != nil {
		return false, wrap("enqueue usage report", err)
	}
	if queued {
		w.LastReportAt, w.ReportSeq = ev.CreatedAt, w.ReportSeq+1
	}
	return queued, nil
}
