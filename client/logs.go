package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// LogEvent is one message of a live log stream: a printed line, or (Type
// "end") the end of an execution with its final Status. Other types a newer
// server may add come through as they are; skip what you do not know.
type LogEvent struct {
	// Type is "" for a line and "end" when an execution has finished.
	Type        string    `json:"type,omitempty"`
	ExecutionID string    `json:"execution_id"`
	TS          time.Time `json:"ts,omitzero"`
	// Stream is stdout, stderr or system.
	Stream string `json:"stream,omitempty"`
	Line   string `json:"line,omitempty"`
	// Status is the execution's final status, on "end" events.
	Status string `json:"status,omitempty"`
}

// End reports whether e marks the end of an execution.
func (e *LogEvent) End() bool { return e.Type == "end" }

// LogStream is an open live log stream. Read it from one goroutine with
// Next; Close it when done (cancelling the context it was opened with
// closes it too).
type LogStream struct {
	conn      *websocket.Conn
	ctx       context.Context
	done      chan struct{} // closed by Close, to end the context watcher
	closeOnce sync.Once
	closeErr  error
}

// maxLogMessage bounds one message; a log line is far smaller.
const maxLogMessage = 1 << 20

// StreamFunctionLogs opens a live tail of every execution of a function,
// from now on (tail -f).
func (c *Client) StreamFunctionLogs(ctx context.Context, function string) (*LogStream, error) {
	return c.streamLogs(ctx, fnPath(function)+"/logs/stream")
}

// StreamExecutionLogs opens the live log of one execution; the server ends
// it after the execution's "end" event.
func (c *Client) StreamExecutionLogs(ctx context.Context, executionID string) (*LogStream, error) {
	return c.streamLogs(ctx, "/api/executions/"+url.PathEscape(executionID)+"/logs/stream")
}

func (c *Client) streamLogs(ctx context.Context, path string) (*LogStream, error) {
	u := c.base.JoinPath(path)
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	d := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 30 * time.Second}
	if t, ok := c.http.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
		d.TLSClientConfig = t.TLSClientConfig.Clone()
	}
	// Credentials travel in headers, not in ?token=: that form is for
	// browsers, which cannot set headers on a WebSocket, and it would leave
	// the token in access logs.
	h := http.Header{}
	c.authorize(h)
	conn, res, err := d.DialContext(ctx, u.String(), h)
	if err != nil {
		if res != nil && errors.Is(err, websocket.ErrBadHandshake) {
			defer res.Body.Close()
			return nil, errorFrom(res)
		}
		return nil, fmt.Errorf("open log stream: %w", err)
	}
	conn.SetReadLimit(maxLogMessage)
	s := &LogStream{conn: conn, ctx: ctx, done: make(chan struct{})}
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

// Next blocks for the next event. It returns io.EOF when the server closed
// the stream normally, the context's cause once the context ends, and an
// error with the server's close reason otherwise (a client too slow to keep
// up is dropped that way).
func (s *LogStream) Next() (*LogEvent, error) {
	for {
		kind, msg, err := s.conn.ReadMessage()
		if err != nil {
			if s.ctx.Err() != nil {
				return nil, context.Cause(s.ctx)
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				if ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway {
					return nil, io.EOF
				}
				return nil, fmt.Errorf("log stream closed by the server: %d %s", ce.Code, ce.Text)
			}
			return nil, fmt.Errorf("read log stream: %w", err)
		}
		if kind != websocket.TextMessage {
			continue
		}
		var e LogEvent
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("log stream message is not a log event: %w", err)
		}
		return &e, nil
	}
}

// Close closes the stream; it is safe to call more than once.
func (s *LogStream) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		// Say goodbye politely, then drop the connection without waiting
		// for the server's echo: nobody reads it any more.
		_ = s.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		s.closeErr = s.conn.Close()
	})
	return s.closeErr
}
