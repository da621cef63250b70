// Package webhook delivers billing events to the HTTP endpoints accounts
// register: it signs each delivery, refuses targets inside the server's
// network (SSRF), and runs the worker that sends the outbox's due
// deliveries with retries and exponential backoff.
//
// Deliveries are durable (core.OutboxStore): they are in the database
// before anything is sent and leased while being sent, so a restart or a
// crash delays them but loses none. Delivery is at least once; receivers
// deduplicate by the X-VoltRun-Event-Id header (the event's id).
package webhook
