package core

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// EventType names a billing event a webhook can subscribe to.
type EventType string

// Event types of the public contract.
const (
	// EventUsageReport is sent every report interval with the account's
	// month-to-date usage (all accounts' for an operator webhook).
	EventUsageReport EventType = "usage.report"
	// EventInvocationFailed is sent once per execution that failed, timed
	// out or was killed.
	EventInvocationFailed EventType = "invocation.failed"
	// EventQuotaExceeded is sent when an account is refused for a quota,
	// at most once per limit per month for monthly quotas and once per
	// quarter hour for the others.
	EventQuotaExceeded EventType = "quota.exceeded"
)

// AllEventTypes lists every event type, in documentation order.
var AllEventTypes = []EventType{EventUsageReport, EventInvocationFailed, EventQuotaExceeded}

// ValidEventType reports whether t is a known event type.
func ValidEventType(t EventType) bool { return slices.Contains(AllEventTypes, t) }

// MaxWebhooks caps the webhooks one account may register.
const MaxWebhooks = 20

// Webhook is an endpoint that receives signed billing events: the owner's
// own, or every account's when AllAccounts is set (operators only). Secret
// signs every delivery; it is shown once, at creation.
type Webhook struct {
	ID          string      `json:"id"`
	OwnerID     string      `json:"-"`
	URL         string      `json:"url"`
	Events      []EventType `json:"events"`
	AllAccounts bool        `json:"all_accounts"`
	Secret      string      `json:"-"`
	CreatedAt   time.Time   `json:"created_at"`
	// LastReportAt is when the last usage report was queued (CreatedAt
	// until the first); ReportSeq counts them, so that two servers cannot
	// queue the same report.
	LastReportAt time.Time `json:"-"`
	ReportSeq    int64     `json:"-"`
}

// Subscribes reports whether w receives events of type t.
func (w *Webhook) Subscribes(t EventType) bool { return slices.Contains(w.Events, t) }

// Event is one billing event, the JSON body of its deliveries. AccountID
// is the account it is about; "" for an operator-wide usage report.
type Event struct {
	ID        string          `json:"id"`
	Type      EventType       `json:"type"`
	AccountID string          `json:"account_id,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// FailedInvocation is the data of an invocation.failed event: the
// execution without its input, output and logs.
type FailedInvocation struct {
	ExecutionID  string         `json:"execution_id"`
	FunctionID   string         `json:"function_id"`
	FunctionName string         `json:"function_name"`
	Version      string         `json:"version"`
	Trigger      string         `json:"trigger"`
	Status       ExecStatus     `json:"status"`
	Reason       string         `json:"reason,omitempty"`
	Error        *FunctionError `json:"error"`
	DurationMS   int64          `json:"duration_ms"`
	BilledMS     int64          `json:"billed_ms"`
	StartedAt    time.Time      `json:"started_at"`
	FinishedAt   time.Time      `json:"finished_at"`
}

// FailedInvocationOf is e as an invocation.failed event's data.
func FailedInvocationOf(e *Execution) FailedInvocation {
	return FailedInvocation{
		ExecutionID: e.ID, FunctionID: e.FunctionID, FunctionName: e.FunctionName, Version: e.Version,
		Trigger: e.Trigger, Status: e.Status, Reason: e.Reason, Error: e.Error,
		DurationMS: e.DurationMS, BilledMS: e.BilledMS, StartedAt: e.StartedAt, FinishedAt: e.FinishedAt,
	}
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"   // waiting for its next attempt
	DeliverySucceeded DeliveryStatus = "succeeded" // the endpoint answered 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // every attempt failed; no more are made
)

// Delivery is one event on its way to one webhook, kept as a log entry
// once done. ResponseCode and Error describe the last attempt (0 and ""
// before the first, or when the endpoint never answered).
type Delivery struct {
	ID            string         `json:"id"`
	WebhookID     string         `json:"webhook_id"`
	EventID       string         `json:"event_id"`
	EventType     EventType      `json:"event"`
	Status        DeliveryStatus `json:"status"`
	Attempts      int            `json:"attempts"`
	ResponseCode  int            `json:"response_code"`
	Error         string         `json:"error"`
	NextAttemptAt *time.Time     `json:"next_attempt_at"` // nil once succeeded or failed
	CreatedAt     time.Time      `json:"created_at"`
	DeliveredAt   *time.Time     `json:"delivered_at"`
	// Payload is the event's JSON; URL and Secret are the webhook's. They
	// are filled only for the sender, by ClaimDeliveries.
	Payload []byte `json:"-"`
	URL     string `json:"-"`
	Secret  string `json:"-"`
}

// Attempt is the outcome of one delivery attempt. A failed attempt with a
// zero Retry gives up: the delivery becomes failed.
type Attempt struct {
	DeliveryID   string
	Number       int // the delivery's Attempts as claimed; a stale claim changes nothing
	Succeeded    bool
	ResponseCode int
	Error        string
	Retry        time.Time
}

// WebhookStore keeps webhooks and their delivery log. Lookups of another
// owner's webhook answer CodeNotFound.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w *Webhook) error
	Webhook(ctx context.Context, ownerID, id string) (*Webhook, error)
	// ListWebhooks lists an owner's webhooks oldest first.
	ListWebhooks(ctx context.Context, ownerID string, p Page) (hooks []Webhook, next string, err error)
	// DeleteWebhook deletes a webhook and its deliveries, pending or not.
	DeleteWebhook(ctx context.Context, ownerID, id string) error
	// ListDeliveries lists a webhook's deliveries newest first.
	ListDeliveries(ctx context.Context, ownerID, webhookID string, p Page) (ds []Delivery, next string, err error)
}

// OutboxStore is the durable queue of deliveries. Deliveries are written
// before anything is sent, and a sender leases them, so they survive
// restarts and several servers can send without sending one twice at once.
// Delivery is at least once: a server that dies mid-attempt leaves the
// lease to expire and the delivery to be attempted again.
type OutboxStore interface {
	// EnqueueEvent queues a delivery of ev to each webhook subscribed to
	// its type: the account's own (ev.AccountID) and every all-accounts
	// webhook. It returns how many it queued.
	EnqueueEvent(ctx context.Context, ev *Event) (int, error)
	// ClaimDeliveries leases up to limit pending deliveries due at now,
	// oldest due first: each gets its next attempt number and is not due
	// again until now+lease, unless FinishAttempt reschedules it.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// FinishAttempt records an attempt's outcome; an attempt whose lease
	// was taken over (its Number is no longer the delivery's) is ignored.
	FinishAttempt(ctx context.Context, a Attempt) error
	// DueReports lists the webhooks subscribed to usage.report whose last
	// report is at least every old at now.
	DueReports(ctx context.Context, now time.Time, every time.Duration) ([]Webhook, error)
	// EnqueueReport queues ev to w and marks w reported at ev.CreatedAt,
	// unless another report was queued since w was read (then it reports
	// false and queues nothing).
	EnqueueReport(ctx context.Context, w *Webhook, ev *Event) (bool, error)
}
