package api

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// Live log streams over WebSocket.
const (
	// streamBacklogMsgs and streamBacklogBytes bound what a client may
	// fall behind before it is dropped: a slow reader never slows the
	// functions it watches, nor holds unbounded memory.
	streamBacklogMsgs  = 8192
	streamBacklogBytes = 1 << 20
	streamPing         = 20 * time.Second
	streamPongWait     = 2*streamPing + 10*time.Second
	streamWriteWait    = 10 * time.Second
	// streamRecheck is how often an execution's stream re-reads its record,
	// in case its end message was missed (published before the
	// subscription on another node, or its worker died).
	streamRecheck   = 5 * time.Second
	streamReadLimit = 4 << 10
	lookupTimeout   = 5 * time.Second
	// streamClaimWait bounds how long a subscription made before the
	// upgrade waits for its connection.
	streamClaimWait = 30 * time.Second
)

// Close reasons (at most 123 bytes each).
const (
	closeEnded    = "execution ended"
	closeSlow     = "client too slow: more than 1 MiB of log messages behind; reconnect to resume"
	closeStopping = "server shutting down; reconnect shortly"
	closeNoLogs   = "live logs are unavailable; retry shortly"
)

// streamTarget is what one stream follows: a function of the owner's, or
// one execution.
type streamTarget struct {
	ownerID, functionID, executionID string
}

// streamable refuses requests that cannot become a log stream.
func (s *Server) streamable(c *fiber.Ctx) error {
	if s.deps.Logs == nil {
		return core.Errorf(core.CodeUnavailable, "live logs are not available on this server")
	}
	if !websocket.IsWebSocketUpgrade(c) {
		return core.Errorf(core.CodeInvalid, "this endpoint is a WebSocket: send an Upgrade: websocket request")
	}
	return nil
}

// functionLogStream tails every execution of a function (tail -f).
func (s *Server) functionLogStream(c *fiber.Ctx) error {
	if err := s.streamable(c); err != nil {
		return err
	}
	uid := principalOf(c).UserID
	f, err := s.store.Function(c.UserContext(), uid, c.Params("id"))
	if err != nil {
		return err
	}
	return s.stream(c, streamTarget{ownerID: uid, functionID: f.ID})
}

// executionLogStream follows one execution: a finished one's stored logs
// are replayed at once, a running one's lines stream as they are printed;
// both end with the end message.
func (s *Server) executionLogStream(c *fiber.Ctx) error {
	if err := s.streamable(c); err != nil {
		return err
	}
	uid := principalOf(c).UserID
	e, err := s.execution(c.UserContext(), uid, c.Params("id"))
	if err != nil {
		return err
	}
	return s.stream(c, streamTarget{ownerID: uid, functionID: e.FunctionID, executionID: e.ID})
}

// stream subscribes to t's messages, then answers the upgrade: a client
// that has the answer misses no line printed after it. The connection is
// served after this handler returns; when the upgrade fails, or the
// connection is not handed over within streamClaimWait, the subscription
// ends.
func (s *Server) stream(c *fiber.Ctx, t streamTarget) error {
	b := newBacklog()
	subFn := t.functionID
	if t.executionID != "" {
		subFn = "" // the execution id alone selects its messages
	}
	stop, err := s.deps.Logs.SubscribeLogs(t.ownerID, subFn, t.executionID, b.push)
	if err != nil {
		s.log.Error("subscribe to live logs", zap.Error(err))
		return core.Errorf(core.CodeUnavailable, closeNoLogs)
	}
	b.subscribed(stop)
	var claimed atomic.Bool
	claim := func() bool { return claimed.CompareAndSwap(false, true) }
	abandon := time.AfterFunc(streamClaimWait, func() {
		if claim() {
			stop()
		}
	})
	err = websocket.New(func(conn *websocket.Conn) {
		if !claim() {
			closeStream(conn, websocket.CloseTryAgainLater, closeNoLogs)
			return
		}
		abandon.Stop()
		defer stop()
		s.serveStream(conn, t, b)
	})(c)
	if err != nil && claim() {
		abandon.Stop()
		stop()
	}
	return err
}

type streamMsg struct {
	data []byte
	end  bool
}

// backlog holds the messages delivered to one stream and not yet written
// to its client. Past its bounds it overflows: it stops the subscription
// at once, keeps nothing more, and the stream is closed.
type backlog struct {
	mu       sync.Mutex
	msgs     []streamMsg
	count    int // messages held, including those taken but not yet written
	bytes    int
	over     bool
	ready    chan struct{} // has a value when msgs is not empty
	overflow chan struct{} // closed on overflow
	stop     func()        // ends the subscription; set once subscribed
}

func newBacklog() *backlog {
	return &backlog{ready: make(chan struct{}, 1), overflow: make(chan struct{})}
}

// push is the subscription's delivery callback; it never blocks.
func (b *backlog) push(data []byte, end bool) {
	b.mu.Lock()
	if b.over {
		b.mu.Unlock()
		return
	}
	if b.count >= streamBacklogMsgs || b.bytes+len(data) > streamBacklogBytes {
		b.over = true
		close(b.overflow)
		stop := b.stop
		b.mu.Unlock()
		if stop != nil {
			stop() // stop paying for deliveries nobody will read
		}
		return
	}
	b.msgs = append(b.msgs, streamMsg{data: data, end: end})
	b.count++
	b.bytes += len(data)
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *backlog) subscribed(stop func()) {
	b.mu.Lock()
	b.stop = stop
	b.mu.Unlock()
}

// take returns the messages waiting; call written for each once sent.
func (b *backlog) take() []streamMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.msgs
	b.msgs = nil
	return m
}

func (b *backlog) written(m streamMsg) {
	b.mu.Lock()
	b.count--
	b.bytes -= len(m.data)
	b.mu.Unlock()
}

// serveStream runs one WebSocket, whose messages b receives, until the
// execution ends, the client leaves or falls behind, or the server stops.
func (s *Server) serveStream(conn *websocket.Conn, t streamTarget, b *backlog) {
	// Subscribed first, then read: an end published before the
	// subscription is already in the record.
	if t.executionID != "" && s.finished(conn, t, nil) {
		return
	}
	gone := make(chan struct{})
	go readStream(conn, gone)
	// The reader must be gone before this handler returns: fasthttp then
	// recycles the connection's buffers.
	defer func() {
		_ = conn.SetReadDeadline(time.Now())
		<-gone
	}()
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	var recheck <-chan time.Time
	if t.executionID != "" {
		tick := time.NewTicker(streamRecheck)
		defer tick.Stop()
		recheck = tick.C
	}
	for {
		select {
		case <-b.overflow:
			closeStream(conn, websocket.ClosePolicyViolation, closeSlow)
			return
		default:
		}
		select {
		case <-b.ready:
			for _, m := range b.take() {
				if writeStream(conn, m.data) != nil {
					return
				}
				b.written(m)
				if m.end && t.executionID != "" {
					closeStream(conn, websocket.CloseNormalClosure, closeEnded)
					return
				}
			}
		case <-b.overflow:
		case <-ping.C:
			if conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(streamWriteWait)) != nil {
				return
			}
		case <-recheck:
			if s.finished(conn, t, b) {
				return
			}
		case <-gone:
			return
		case <-s.deps.Stopping:
			closeStream(conn, websocket.CloseGoingAway, closeStopping)
			return
		}
	}
}

// finished checks whether the execution has ended. If so it sends what
// the client has not seen: the live messages waiting in b when there is a
// backlog, else the stored logs; then the end message; it closes the
// stream and reports true.
func (s *Server) finished(conn *websocket.Conn, t streamTarget, b *backlog) bool {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	e, err := s.execution(ctx, t.ownerID, t.executionID)
	if err != nil {
		if !core.IsNotFound(err) {
			s.log.Warn("read execution for its log stream", zap.String("execution_id", t.executionID), zap.Error(err))
		}
		return false
	}
	if !e.Done() {
		return false
	}
	if b == nil {
		for _, line := range storedLines(e) {
			if writeJSON(conn, line) != nil {
				return true
			}
		}
	} else {
		for _, m := range b.take() {
			if writeStream(conn, m.data) != nil {
				return true
			}
			if m.end {
				closeStream(conn, websocket.CloseNormalClosure, closeEnded)
				return true
			}
		}
	}
	if writeJSON(conn, core.NewLogEnd(e.ID, e.Status)) == nil {
		closeStream(conn, websocket.CloseNormalClosure, closeEnded)
	}
	return true
}

// storedLines are an execution's recorded logs as stream messages. The
// record keeps stdout and stderr together, so replayed lines say stdout;
// their time is the execution's end.
func storedLines(e *core.Execution) []core.LogLine {
	text := strings.TrimSuffix(e.Logs, "\n")
	var lines []core.LogLine
	if text != "" {
		for l := range strings.SplitSeq(text, "\n") {
			lines = append(lines, core.LogLine{ExecutionID: e.ID, TS: e.FinishedAt, Stream: "stdout", Line: l})
		}
	}
	if e.LogsTruncated {
		lines = append(lines, core.LogLine{
			ExecutionID: e.ID, TS: e.FinishedAt, Stream: "system",
			Line: "[logs truncated: the record keeps the first 64 KiB]",
		})
	}
	return lines
}

// readStream reads (and discards) what the client sends, answering pings
// and noting pongs, until the connection fails or closes.
func readStream(conn *websocket.Conn, gone chan<- struct{}) {
	defer close(gone)
	conn.SetReadLimit(streamReadLimit)
	extend := func(string) error { return conn.SetReadDeadline(time.Now().Add(streamPongWait)) }
	_ = extend("")
	conn.SetPongHandler(extend)
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
		_ = extend("")
	}
}

func writeStream(conn *websocket.Conn, data []byte) error {
	if err := conn.SetWriteDeadline(time.Now().Add(streamWriteWait)); err != nil {
		return err
	}
	return conn.WriteMessage(websocket.TextMessage, data)
}

func writeJSON(conn *websocket.Conn, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeStream(conn, data)
}

// closeStream sends a close frame with a reason; the connection is closed
// when the handler returns.
func closeStream(conn *websocket.Conn, code int, reason string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(streamWriteWait))
}
