package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/voltrun/voltrun/client"
)

// wsServer upgrades authorised requests on path and hands the connection
// to serve; others get the documented 401 body.
func wsServer(t *testing.T, path string, serve func(*websocket.Conn)) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":{"code":"unauthorized","message":"invalid or expired token"}}`)
			return
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		defer conn.Close()
		serve(conn)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestStreamLogs(t *testing.T) {
	s := wsServer(t, "/api/functions/hello/logs/stream", func(conn *websocket.Conn) {
		for _, m := range []string{
			`{"execution_id":"e1","ts":"2025-01-02T03:04:05.5Z","stream":"stdout","line":"hi"}`,
			`{"type":"ping"}`,
			`{"type":"end","execution_id":"e1","status":"succeeded"}`,
		} {
			_ = conn.WriteMessage(websocket.TextMessage, []byte(m))
		}
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		_, _, _ = conn.ReadMessage()
	})
	c, _ := client.New(s.URL, client.WithToken("tok"))
	st, err := c.StreamFunctionLogs(context.Background(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := st.Next()
	if err != nil || e.Line != "hi" || e.Stream != "stdout" || e.End() || !e.TS.Equal(time.Date(2025, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Fatalf("line: %+v %v", e, err)
	}
	if e, err = st.Next(); err != nil || e.Type != "ping" {
		t.Fatalf("unknown types pass through: %+v %v", e, err)
	}
	if e, err = st.Next(); err != nil || !e.End() || e.Status != "succeeded" {
		t.Fatalf("end: %+v %v", e, err)
	}
	if _, err = st.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after a normal close: %v", err)
	}
}

func TestStreamLogsRefusedAndDropped(t *testing.T) {
	s := wsServer(t, "/api/executions/e1/logs/stream", func(conn *websocket.Conn) {
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "client too slow"))
		_, _, _ = conn.ReadMessage()
	})
	bad, _ := client.New(s.URL, client.WithToken("wrong"))
	_, err := bad.StreamExecutionLogs(context.Background(), "e1")
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 401 || e.Code != client.CodeUnauthorized {
		t.Fatalf("refused handshake: %#v", err)
	}

	good, _ := client.New(s.URL, client.WithToken("tok"))
	st, err := good.StreamExecutionLogs(context.Background(), "e1")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Next(); err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "client too slow") {
		t.Fatalf("dropped stream: %v", err)
	}
}

func TestStreamLogsEndsWithTheContext(t *testing.T) {
	hold := make(chan struct{})
	s := wsServer(t, "/api/functions/hello/logs/stream", func(conn *websocket.Conn) {
		_, _, _ = conn.ReadMessage() // until the client goes
		close(hold)
	})
	c, _ := client.New(s.URL, client.WithToken("tok"))
	ctx, cancel := context.WithCancelCause(context.Background())
	st, err := c.StreamFunctionLogs(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	stopped := errors.New("user pressed ctrl-c")
	time.AfterFunc(50*time.Millisecond, func() { cancel(stopped) })
	if _, err := st.Next(); !errors.Is(err, stopped) {
		t.Fatalf("Next after cancel: %v", err)
	}
	select {
	case <-hold:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the client leave")
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close after the context closed the stream: %v", err)
	}
}
