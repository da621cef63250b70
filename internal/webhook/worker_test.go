package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/store"
	"github.com/voltrun/voltrun/internal/webhook"
)

// receiver is a real HTTP endpoint that answers with the next of its
// statuses (the last one once they run out) and keeps what it got.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	delay    time.Duration
	got      []received
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), body, time.Now()})
		status := r.statuses[min(len(r.got), len(r.statuses))-1]
		delay := r.delay
		r.mu.Unlock()
		time.Sleep(delay)
		if status >= 300 && status < 400 {
			w.Header().Set("Location", "http://example.com/")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type setup struct {
	store *store.Store
	user  *core.User
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s, err := store.Open(t.Context(), store.Options{DataDir: t.TempDir(), Logger: zaptest.NewLogger(t).Named("db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	u := &core.User{Email: "hooks@example.com", Name: "H", PasswordHash: "x"}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return &setup{store: s, user: u}
}

func (s *setup) hook(t *testing.T, url string) *core.Webhook {
	t.Helper()
	secret, err := webhook.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	w := &core.Webhook{OwnerID: s.user.ID, URL: url, Secret: secret, Events: []core.EventType{core.EventQuotaExceeded}}
	if err := s.store.CreateWebhook(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func (s *setup) event(t *testing.T) *core.Event {
	t.Helper()
	ev := &core.Event{Type: core.EventQuotaExceeded, AccountID: s.user.ID, Data: json.RawMessage(`{"limit":"monthly_invocations"}`)}
	if _, err := s.store.EnqueueEvent(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func (s *setup) worker(t *testing.T, opts webhook.Options) *webhook.Worker {
	opts.Store = s.store
	opts.Log = zaptest.NewLogger(t)
	if opts.RetryBase == 0 {
		opts.RetryBase = 50 * time.Millisecond
	}
	opts.Poll = 20 * time.Millisecond
	return webhook.NewWorker(opts)
}

// run runs w until cond holds (or fails t after 10 s).
func run(t *testing.T, w *webhook.Worker, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *setup) log(t *testing.T, w *core.Webhook) []core.Delivery {
	t.Helper()
	ds, _, err := s.store.ListDeliveries(t.Context(), s.user.ID, w.ID, core.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestRetryThenDeliver: a receiver that fails twice then succeeds gets the
// event three times, the same event id each time, every attempt signed,
// with growing waits; the log shows one succeeded delivery.
func TestRetryThenDeliver(t *testing.T) {
	s := newSetup(t)
	r := newReceiver(t, 500, 503, 204)
	w := s.hook(t, r.URL+"/hook")
	ev := s.event(t)
	run(t, s.worker(t, webhook.Options{Guard: webhook.Guard{AllowPrivate: true}}), func() bool {
		ds := s.log(t, w)
		return len(ds) == 1 && ds[0].Status == core.DeliverySucceeded
	})
	time.Sleep(200 * time.Millisecond) // nothing more arrives
	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for i, g := range got {
		if err := webhook.Verify(w.Secret, g.header.Get(webhook.SignatureHeader), g.body, time.Minute, time.Now()); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if g.header.Get(webhook.EventIDHeader) != ev.ID || g.header.Get(webhook.EventHeader) != "quota.exceeded" ||
			g.header.Get(webhook.AttemptHeader) != string(rune('1'+i)) || g.header.Get("Content-Type") != "application/json" {
			t.Fatalf("attempt %d headers %v", i+1, g.header)
		}
		var body core.Event
		if err := json.Unmarshal(g.body, &body); err != nil || body.ID != ev.ID || string(body.Data) != `{"limit":"monthly_invocations"}` {
			t.Fatalf("attempt %d body %s", i+1, g.body)
		}
	}
	if gap1, gap2 := got[1].at.Sub(got[0].at), got[2].at.Sub(got[1].at); gap1 < 35*time.Millisecond || gap2 < 70*time.Millisecond {
		t.Fatalf("retries after %v and %v: want about 50ms, then about 100ms", gap1, gap2)
	}
	d := s.log(t, w)[0]
	if d.Attempts != 3 || d.ResponseCode != 204 || d.DeliveredAt == nil || d.NextAttemptAt != nil {
		t.Fatalf("log %+v", d)
	}
}

// TestGiveUp: a receiver that always fails gets MaxAttempts attempts, then
// the delivery is failed with the last response code.
func TestGiveUp(t *testing.T) {
	s := newSetup(t)
	r := newReceiver(t, 500, 502, 302) // a redirect is not followed: a failure
	w := s.hook(t, r.URL)
	s.event(t)
	run(t, s.worker(t, webhook.Options{Guard: webhook.Guard{AllowPrivate: true}, MaxAttempts: 3, RetryBase: 10 * time.Millisecond}), func() bool {
		ds := s.log(t, w)
		return len(ds) == 1 && ds[0].Status == core.DeliveryFailed
	})
	d := s.log(t, w)[0]
	if d.Attempts != 3 || d.ResponseCode != 302 || !strings.Contains(d.Error, "302") || len(r.requests()) != 3 {
		t.Fatalf("log %+v after %d requests", d, len(r.requests()))
	}
}

// TestBlockedAtDelivery: a target that is private when the sender
// connects (DNS rebinding; here stored directly) is refused without a
// request.
func TestBlockedAtDelivery(t *testing.T) {
	s := newSetup(t)
	r := newReceiver(t, 200)
	w := s.hook(t, strings.Replace(r.URL, "127.0.0.1", "localhost", 1))
	s.event(t)
	run(t, s.worker(t, webhook.Options{MaxAttempts: 1}), func() bool {
		ds := s.log(t, w)
		return len(ds) == 1 && ds[0].Status == core.DeliveryFailed
	})
	if d := s.log(t, w)[0]; len(r.requests()) != 0 || !strings.Contains(d.Error, "refused to connect") || d.ResponseCode != 0 {
		t.Fatalf("log %+v after %d requests", d, len(r.requests()))
	}
}

// TestTimeout: a receiver slower than the timeout fails the attempt.
func TestTimeout(t *testing.T) {
	s := newSetup(t)
	r := newReceiver(t, 200)
	r.delay = time.Second
	w := s.hook(t, r.URL)
	s.event(t)
	run(t, s.worker(t, webhook.Options{Guard: webhook.Guard{AllowPrivate: true}, Timeout: 100 * time.Millisecond, MaxAttempts: 1}), func() bool {
		ds := s.log(t, w)
		return len(ds) == 1 && ds[0].Status == core.DeliveryFailed
	})
	if d := s.log(t, w)[0]; d.Error != "the endpoint did not answer in time" {
		t.Fatalf("log %+v", d)
	}
}

// TestShutdownMidAttempt: an attempt cut short by shutdown is rescheduled
// at once and delivered by the next worker.
func TestShutdownMidAttempt(t *testing.T) {
	s := newSetup(t)
	r := newReceiver(t, 200)
	r.delay = 2 * time.Second
	w := s.hook(t, r.URL)
	s.event(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.worker(t, webhook.Options{Guard: webhook.Guard{AllowPrivate: true}}).Run(ctx); close(done) }()
	for len(r.requests()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	d := s.log(t, w)[0]
	if d.Status != core.DeliveryPending || d.Attempts != 1 || !strings.Contains(d.Error, "shutdown") {
		t.Fatalf("after shutdown: %+v", d)
	}
	r.mu.Lock()
	r.delay = 0
	r.mu.Unlock()
	run(t, s.worker(t, webhook.Options{Guard: webhook.Guard{AllowPrivate: true}}), func() bool {
		return s.log(t, w)[0].Status == core.DeliverySucceeded
	})
}
