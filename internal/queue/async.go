package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// Headers of an async call's message; the body is the event.
const (
	headerExecution = "Voltrun-Execution-Id"
	headerOwner     = "Voltrun-Owner-Id"
	headerFunction  = "Voltrun-Function-Id"
	headerVersion   = "Voltrun-Version"
	headerEnqueued  = "Voltrun-Enqueued-At"
	// headerRoom is kept free in a message for the headers.
	headerRoom = 1 << 10
	// publishTimeout bounds waiting for JetStream to store a call.
	publishTimeout = 10 * time.Second
)

// Reasons recorded on async executions.
const (
	ReasonEnqueueFailed     = "enqueue_failed"
	ReasonVersionDeleted    = "version_deleted"
	ReasonAttemptsExhausted = "attempts_exhausted"
	ReasonQuotaExceeded     = "quota_exceeded"
)

// Enqueue accepts c (an already validated and resolved call: Function,
// Version, Event) for asynchronous execution: it records the execution as
// queued, then stores the call in the work queue, and returns the queued
// record. An event too large for the message bus is CodePayloadTooLarge;
// a work queue that cannot take the call is CodeUnavailable (the record
// then says failed, reason enqueue_failed).
func (q *Queue) Enqueue(ctx context.Context, c engine.Call) (*core.Execution, error) {
	fn := c.Function
	if len(c.Event) > sandbox.MaxEventBytes {
		return nil, core.Errorf(core.CodePayloadTooLarge, "the event is larger than %d MiB", sandbox.MaxEventBytes>>20)
	}
	if limit := q.nc.MaxPayload() - headerRoom; int64(len(c.Event)) > limit {
		return nil, core.Errorf(core.CodePayloadTooLarge, "asynchronous events are limited to %d KiB on this server", limit>>10)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("queue: execution id: %w", err)
	}
	exec := core.Execution{
		ID: id.String(), FunctionID: fn.ID, OwnerID: fn.OwnerID, FunctionName: fn.Name, Version: c.Version,
		Trigger: core.TriggerAsync, Status: core.ExecQueued, MemoryMB: fn.MemoryMB,
	}
	exec.Input, exec.InputTruncated = capBytes(c.Event, core.MaxRecordedInput)
	// Recorded before publishing: a worker on this node may run the call
	// at once, and its records must come after this one.
	if err := q.opts.Recorder.Add(exec); err != nil {
		return nil, &core.Error{Code: core.CodeUnavailable, Message: "the server is shutting down; retry shortly", Err: err}
	}
	msg := &nats.Msg{
		Subject: q.names.asyncSubject(fn.ID),
		Data:    c.Event,
		Header: nats.Header{
			headerExecution: {exec.ID},
			headerOwner:     {fn.OwnerID},
			headerFunction:  {fn.ID},
			headerVersion:   {c.Version},
			headerEnqueued:  {time.Now().UTC().Format(time.RFC3339Nano)},
		},
	}
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	_, err = q.js.PublishMsg(pctx, msg, jetstream.WithMsgID(exec.ID), jetstream.WithExpectStream(q.names.stream))
	if err != nil {
		q.log.Error("enqueue async call", zap.String("execution_id", exec.ID), zap.Error(err))
		failed := exec
		failed.Status, failed.Reason, failed.FinishedAt = core.ExecFailed, ReasonEnqueueFailed, time.Now().UTC()
		failed.Error = &core.FunctionError{Type: "EnqueueError", Message: "the call could not be queued"}
		if rerr := q.opts.Recorder.Add(failed); rerr != nil {
			q.log.Warn("execution not recorded", zap.String("execution_id", exec.ID), zap.Error(rerr))
		}
		msg := "the work queue is unavailable; retry shortly"
		if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrNoResponders) {
			msg = "the work queue is not set up; retry shortly"
		}
		return nil, &core.Error{Code: core.CodeUnavailable, Message: msg, Err: err}
	}
	q.metrics.enqueued.Inc()
	return &exec, nil
}

// job is an async call as a worker reads it from its message.
type job struct {
	executionID, ownerID, functionID, version string
	event                                     []byte
}

func jobOf(m jetstream.Msg) (job, error) {
	h := m.Headers()
	j := job{
		executionID: h.Get(headerExecution), ownerID: h.Get(headerOwner),
		functionID: h.Get(headerFunction), version: h.Get(headerVersion), event: m.Data(),
	}
	if j.executionID == "" || j.ownerID == "" || j.functionID == "" || j.version == "" {
		return job{}, fmt.Errorf("queue: message on %s lacks the execution headers", m.Subject())
	}
	if j.version != core.LatestVersion {
		if _, ok := core.ParseVersion(j.version); !ok {
			return job{}, fmt.Errorf("queue: message for %s names version %s", j.executionID, strconv.Quote(j.version))
		}
	}
	return j, nil
}

func capBytes(b []byte, limit int) ([]byte, bool) {
	if len(b) <= limit {
		return b, false
	}
	return b[:limit], true
}
