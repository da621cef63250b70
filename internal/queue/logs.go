package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
)

var _ engine.LogPublisher = (*Queue)(nil)

// Live log publishing.
const (
	// logBacklog bounds the lines waiting for the publishing goroutine;
	// past it lines are dropped rather than slowing the function.
	logBacklog = 16384
	// endWait bounds how long an end event waits for room in the backlog.
	endWait = 2 * time.Second
	// headerEvent marks the end message of an execution.
	headerEvent = "Voltrun-Event"
	eventEnd    = "end"
	// subscriberPending bounds what NATS buffers for one subscriber.
	subscriberPendingMsgs  = 65536
	subscriberPendingBytes = 64 << 20
)

// logEvent is one line or end waiting to be published.
type logEvent struct {
	ref     engine.LogRef
	subject string
	ts      time.Time
	stream  string
	line    string
	status  core.ExecStatus // set on the end event
	end     bool
}

// publisher publishes log events from one goroutine, in order.
type publisher struct {
	nc    *nats.Conn
	names names
	// interest reports whether a subject has a subscriber; nil where that
	// cannot be known (an external cluster), and then everything is
	// published.
	interest  func(subject string) bool
	published prometheus.Counter
	dropped   prometheus.Counter
	unwatched prometheus.Counter
	ch        chan logEvent
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
}

func newPublisher(nc *nats.Conn, n names, m *metrics, interest func(string) bool) *publisher {
	p := &publisher{
		nc: nc, names: n, interest: interest, ch: make(chan logEvent, logBacklog), stop: make(chan struct{}), done: make(chan struct{}),
		published: m.logLines.WithLabelValues("published"), dropped: m.logLines.WithLabelValues("dropped"),
		unwatched: m.logLines.WithLabelValues("unwatched"),
	}
	go p.run()
	return p
}

// watched returns the subject of ref's messages, or false when nobody
// subscribes to it: the event would reach no one, and skipping it saves a
// hand-off to the publishing goroutine and a trip through NATS on every
// call. A reader subscribes before it reads the execution's record, and
// End comes after the record is written, so a reader who subscribes after
// this check still learns the end from the record.
func (p *publisher) watched(ref engine.LogRef) (string, bool) {
	subject := p.names.logSubject(ref.OwnerID, ref.FunctionID, ref.ExecutionID)
	if p.interest != nil && !p.interest(subject) {
		p.unwatched.Inc()
		return "", false
	}
	return subject, true
}

// Line queues one printed line for publishing; it never blocks.
func (q *Queue) Line(ref engine.LogRef, stream, line string) {
	subject, ok := q.logs.watched(ref)
	if !ok {
		return
	}
	select {
	case q.logs.ch <- logEvent{ref: ref, subject: subject, ts: time.Now().UTC(), stream: stream, line: line}:
	default:
		q.logs.dropped.Inc()
	}
}

// End queues the end of an execution after its lines, waiting briefly for
// room so that readers learn the final status.
func (q *Queue) End(ref engine.LogRef, status core.ExecStatus) {
	subject, ok := q.logs.watched(ref)
	if !ok {
		return
	}
	ev := logEvent{ref: ref, subject: subject, status: status, end: true}
	select {
	case q.logs.ch <- ev:
		return
	default:
	}
	t := time.NewTimer(endWait)
	defer t.Stop()
	select {
	case q.logs.ch <- ev:
	case <-t.C:
		q.logs.dropped.Inc()
	case <-q.logs.stop:
	}
}

func (p *publisher) run() {
	defer close(p.done)
	for {
		select {
		case ev := <-p.ch:
			p.publish(&ev)
		case <-p.stop:
			for {
				select {
				case ev := <-p.ch:
					p.publish(&ev)
				default:
					return
				}
			}
		}
	}
}

func (p *publisher) publish(ev *logEvent) {
	var msg *nats.Msg
	if ev.end {
		data, _ := json.Marshal(core.NewLogEnd(ev.ref.ExecutionID, ev.status))
		msg = &nats.Msg{Subject: ev.subject, Data: data, Header: nats.Header{headerEvent: []string{eventEnd}}}
	} else {
		// Marshalling a struct of strings and a time cannot fail; invalid
		// UTF-8 is replaced.
		data, _ := json.Marshal(core.LogLine{ExecutionID: ev.ref.ExecutionID, TS: ev.ts, Stream: ev.stream, Line: ev.line})
		msg = &nats.Msg{Subject: ev.subject, Data: data}
	}
	if err := p.nc.PublishMsg(msg); err != nil {
		p.dropped.Inc()
		return
	}
	p.published.Inc()
}

// close publishes what is queued and stops the goroutine.
func (p *publisher) close(ctx context.Context) {
	p.once.Do(func() { close(p.stop) })
	select {
	case <-p.done:
	case <-ctx.Done():
	}
}

// SubscribeLogs calls deliver with every live log message of the owner's
// function, or of one execution when executionID is set (functionID may
// then be empty), until stop is called. Messages are the JSON the
// WebSocket API sends; end marks an execution's end message. deliver runs
// on one goroutine per subscription, in publishing order, and must not
// block; it may still run once after stop returns.
func (q *Queue) SubscribeLogs(ownerID, functionID, executionID string, deliver func(msg []byte, end bool)) (stop func(), err error) {
	fn, ex := functionID, executionID
	if fn == "" {
		fn = "*"
	}
	if ex == "" {
		ex = "*"
	}
	for _, tok := range []string{ownerID, functionID, executionID} {
		if strings.ContainsAny(tok, ".*> \t\r\n") {
			return nil, fmt.Errorf("queue: subscribe logs: invalid id %q", tok)
		}
	}
	if ownerID == "" || (functionID == "" && executionID == "") {
		return nil, fmt.Errorf("queue: subscribe logs: an owner and a function or execution are required")
	}
	sub, err := q.nc.Subscribe(q.names.logSubject(ownerID, fn, ex), func(m *nats.Msg) {
		deliver(m.Data, m.Header.Get(headerEvent) == eventEnd)
	})
	if err != nil {
		return nil, fmt.Errorf("queue: subscribe logs: %w", err)
	}
	if err := sub.SetPendingLimits(subscriberPendingMsgs, subscriberPendingBytes); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("queue: subscribe logs: %w", err)
	}
	// Make sure the server has the subscription before the caller reads
	// the execution's state, so that no end event falls in between.
	if err := q.nc.FlushTimeout(5 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("queue: subscribe logs: %w", err)
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
