package main

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// logMsg is one live log stream message: a line, or the end.
type logMsg struct {
	Type        string    `json:"type"`
	ExecutionID string    `json:"execution_id"`
	TS          time.Time `json:"ts"`
	Stream      string    `json:"stream"`
	Line        string    `json:"line"`
	Status      string    `json:"status"`
}

// dialLogs opens the WebSocket at path (headers alternate name, value).
// On a refused handshake it returns the HTTP status.
func (s *testServer) dialLogs(t testing.TB, d *websocket.Dialer, path string, headers ...string) (*websocket.Conn, int) {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Set(headers[i], headers[i+1])
	}
	if d == nil {
		d = websocket.DefaultDialer
	}
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+path, h)
	if err != nil {
		if res != nil {
			res.Body.Close()
			return nil, res.StatusCode
		}
		t.Fatalf("dial %s: %v", path, err)
	}
	res.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return conn, res.StatusCode
}

// next reads one message, failing the test after timeout.
func next(t testing.TB, conn *websocket.Conn, timeout time.Duration) logMsg {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read log stream: %v", err)
	}
	var m logMsg
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("log message %s: %v", data, err)
	}
	return m
}

// wantClosed reads until the stream closes and returns the close error.
func wantClosed(t testing.TB, conn *websocket.Conn, timeout time.Duration) (n int, ce *websocket.CloseError) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			n++
			continue
		}
		if !errors.As(err, &ce) {
			t.Fatalf("stream ended without a close frame after %d messages: %v", n, err)
		}
		return n, ce
	}
}

const tickerCode = `
exports.handler = async (event) => {
  if (event.wait) await new Promise((r) => setTimeout(r, event.wait));
  console.log("first line");
  await new Promise((r) => setTimeout(r, 1000));
  console.error("second line");
  return "done";
};`

// TestLiveLogs: a line reaches a WebSocket reader before the call that
// printed it returns; streams end with the execution's status; finished
// executions replay their stored logs; other users are refused.
func TestLiveLogs(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{"name": "ticker", "runtime": "nodejs", "code": tickerCode})
	token := strings.TrimPrefix(auth[1], "Bearer ")

	// tail -f of the function, authenticated as a browser would.
	tail, status := s.dialLogs(t, nil, "/api/functions/ticker/logs/stream?token="+token)
	if status != http.StatusSwitchingProtocols {
		t.Fatalf("tail handshake: %d", status)
	}
	type result struct {
		at   time.Time
		resp *response
	}
	returned := make(chan result, 1)
	go func() {
		r := s.do("POST", "/api/functions/ticker/invoke", nil, auth...)
		returned <- result{time.Now(), r}
	}()
	first := next(t, tail, 15*time.Second)
	gotFirst := time.Now()
	if first.Line != "first line" || first.Stream != "stdout" || first.ExecutionID == "" || first.TS.IsZero() {
		t.Fatalf("first message %+v", first)
	}
	select {
	case r := <-returned:
		t.Fatalf("the call returned (%s) before its first line arrived", r.resp.Body)
	default:
	}
	second := next(t, tail, 15*time.Second)
	end := next(t, tail, 15*time.Second)
	r := <-returned
	expect(t, r.resp, 200, "")
	res := r.resp.json(t)
	id := res["execution_id"].(string)
	if r.at.Sub(gotFirst) < 500*time.Millisecond {
		t.Fatalf("first line only %v before the call returned", r.at.Sub(gotFirst))
	}
	if first.ExecutionID != id || second.Line != "second line" || second.Stream != "stderr" || second.ExecutionID != id {
		t.Fatalf("lines %+v %+v for execution %s", first, second, id)
	}
	if end.Type != "end" || end.ExecutionID != id || end.Status != "succeeded" {
		t.Fatalf("end message %+v", end)
	}

	// A finished execution replays its stored logs, then ends at once.
	done, _ := s.dialLogs(t, nil, "/api/executions/"+id+"/logs/stream", auth...)
	l1, l2, e := next(t, done, 5*time.Second), next(t, done, 5*time.Second), next(t, done, 5*time.Second)
	if l1.Line != "first line" || l2.Line != "second line" || e.Type != "end" || e.Status != "succeeded" {
		t.Fatalf("replay %+v %+v %+v", l1, l2, e)
	}
	if _, ce := wantClosed(t, done, 5*time.Second); ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("replay closed with %v", ce)
	}

	// A queued execution streams live from its first line to its end.
	// (It waits 1.5 s before printing, while the test subscribes.)
	r = result{resp: s.do("POST", "/api/functions/ticker/invoke", map[string]any{"wait": 1500}, append(auth, "X-Invocation-Type", "async")...)}
	expect(t, r.resp, 202, "")
	asyncID := r.resp.json(t)["execution_id"].(string)
	live, _ := s.dialLogs(t, nil, "/api/executions/"+asyncID+"/logs/stream", "X-API-Key", s.key(auth, "functions:read"))
	l1 = next(t, live, 15*time.Second)
	if got := s.do("GET", "/api/executions/"+asyncID, nil, auth...).json(t)["status"]; l1.Line != "first line" || got != "running" {
		t.Fatalf("first live line %+v while the execution is %v", l1, got)
	}
	if l2, e := next(t, live, 15*time.Second), next(t, live, 15*time.Second); l2.Line != "second line" || e.Type != "end" ||
		e.Status != "succeeded" || e.ExecutionID != asyncID {
		t.Fatalf("live stream %+v %+v", l2, e)
	}
	if _, ce := wantClosed(t, live, 5*time.Second); ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("live stream closed with %v", ce)
	}

	// Refusals happen before the upgrade.
	other := bearer(s.register("other@example.com"))
	for _, c := range []struct {
		path    string
		headers []string
		want    int
	}{
		{"/api/functions/ticker/logs/stream", other, 404},
		{"/api/functions/ticker/logs/stream?token=" + strings.TrimPrefix(other[1], "Bearer "), nil, 404},
		{"/api/executions/" + id + "/logs/stream", other, 404},
		{"/api/executions/" + id + "/logs/stream", nil, 401},
		{"/api/executions/" + id + "/logs/stream?token=nonsense", nil, 401},
		{"/api/executions/" + id + "/logs/stream", []string{"X-API-Key", s.key(auth, "functions:invoke")}, 403},
	} {
		if conn, status := s.dialLogs(t, nil, c.path, c.headers...); conn != nil || status != c.want {
			t.Errorf("%s: handshake answered %d, want %d", c.path, status, c.want)
		}
	}
	// Without an upgrade the route says what it is.
	expect(t, s.do("GET", "/api/executions/"+id+"/logs/stream", nil, auth...), 400, "invalid_request")
}

// key creates an API key with the scopes and returns its secret.
func (s *testServer) key(auth []string, scopes ...string) string {
	s.t.Helper()
	r := s.do("POST", "/api/keys", map[string]any{"name": "k " + strings.Join(scopes, " "), "scopes": scopes}, auth...)
	expect(s.t, r, 201, "")
	return r.json(s.t)["key"].(string)
}

const chattyCode = `
exports.handler = async (event) => {
  for (let i = 0; i < event.n; i++) console.log(event.size ? "x".repeat(event.size) : "line " + i);
  return event.n;
};`

// TestLiveLogsSlowClient: a reader that stops reading is dropped with a
// close reason, and the function does not slow down for it.
func TestLiveLogsSlowClient(t *testing.T) {
	s, auth := fnServer(t, nil)
	s.deploy(auth, map[string]any{"name": "chatty", "runtime": "nodejs", "code": chattyCode})
	// Each call prints 256 KiB, the most one call streams, in 16 big lines:
	// 24 calls (6 MiB) fill the socket buffers (at most 4 MiB here) and the
	// stream's 1 MiB backlog, without going on long after that (a write
	// blocked for 10 s ends the connection without a close reason).
	const lines, calls = 16, 24
	// A call's time as its caller sees it: the call returns only once all
	// its output has gone through the log path, so a log path that waited
	// for a reader would show here.
	call := func() time.Duration {
		t.Helper()
		start := time.Now()
		res := s.invoke(auth, "chatty", map[string]any{"n": lines, "size": 16000})
		if res["status"] != "succeeded" {
			t.Fatalf("call: %v", res)
		}
		return time.Since(start).Round(100 * time.Microsecond)
	}
	call() // warm
	var alone []time.Duration
	for range 5 {
		alone = append(alone, call())
	}
	baseline := middle(alone)

	// A client with a tiny receive buffer that never reads.
	d := &websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
			return errors.Join(err, serr)
		}}
		return nd.Dial(network, addr)
	}}
	slow, _ := s.dialLogs(t, d, "/api/functions/chatty/logs/stream", auth...)
	var stalled []time.Duration
	for range calls {
		stalled = append(stalled, call())
	}
	t.Logf("%d lines per call: %v without a reader, %v with a stalled reader (medians %v, %v)",
		lines, alone, stalled, baseline, middle(stalled))
	if middle(stalled) > 2*baseline+500*time.Millisecond {
		t.Fatalf("a stalled reader slowed the function: %v, against %v without it", middle(stalled), baseline)
	}
	n, ce := wantClosed(t, slow, 2*time.Minute)
	if ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "too slow") {
		t.Fatalf("stalled reader closed with %d %q, want 1008 too slow", ce.Code, ce.Text)
	}
	if n >= calls*(lines+1) {
		t.Fatalf("the stalled reader got all %d messages", n)
	}
	t.Logf("the stalled reader got %d of %d messages before it was dropped", n, calls*(lines+1))

	// A reader that keeps up is not dropped, and misses nothing printed
	// once its handshake is answered: the stream subscribes before that.
	tail, _ := s.dialLogs(t, nil, "/api/functions/chatty/logs/stream", auth...)
	id := s.invoke(auth, "chatty", map[string]any{"n": 3})["execution_id"].(string)
	var got []string
	for { // lines of earlier calls may still be on their way
		m := next(t, tail, 15*time.Second)
		if m.ExecutionID != id {
			continue
		}
		if m.Type == "end" {
			break
		}
		got = append(got, m.Line)
	}
	if strings.Join(got, ",") != "line 0,line 1,line 2" {
		t.Fatalf("a healthy reader got %q", got)
	}
}

// middle is the median of ds.
func middle(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
