package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// Defaults of Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultRetryBase   = 30 * time.Second
	DefaultMaxAttempts = 10
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff  = 6 * time.Hour
	defaultPoll = time.Second
	// leaseSlack is added to the timeout to lease a delivery: longer than
	// any attempt can take, so only a dead sender's lease expires.
	leaseSlack = 30 * time.Second
)

// Options configure a Worker; zero values take the defaults.
type Options struct {
	Store core.OutboxStore
	Guard Guard
	Log   *zap.Logger
	// Timeout bounds one attempt: connecting, sending and the answer.
	Timeout time.Duration
	// RetryBase is the wait after the first failed attempt; each later
	// one doubles it (±20% jitter), up to MaxBackoff.
	RetryBase time.Duration
	// MaxAttempts is how many attempts a delivery gets before it fails.
	MaxAttempts int
	// Poll is how often the worker looks for due deliveries when not
	// woken by Notify.
	Poll time.Duration
	// Concurrency is how many deliveries are sent at once.
	Concurrency int
	// UserAgent is sent with every delivery.
	UserAgent string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Registerer receives the attempt counter; nil keeps it private.
	Registerer prometheus.Registerer
}

// Worker sends due deliveries. Run it once per server; several servers
// share the outbox safely.
type Worker struct {
	opts     Options
	client   *http.Client
	wake     chan struct{}
	attempts *prometheus.CounterVec
}

// NewWorker returns a worker; call Run to start it.
func NewWorker(opts Options) *Worker {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Poll <= 0 {
		opts.Poll = defaultPoll
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "VoltRun-Webhooks"
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Worker{opts: opts, client: newClient(opts.Guard, opts.Timeout), wake: make(chan struct{}, 1)}
	w.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "voltrun_webhook_attempts_total",
		Help: "Webhook delivery attempts, by outcome: delivered, retry, failed (no attempts left) or interrupted.",
	}, []string{"outcome"})
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(w.attempts)
	}
	return w
}

// newClient is an HTTP client that dials only addresses g allows, uses no
// proxy (a proxy would dial for it, unchecked) and follows no redirects
// (a 3xx is a failed attempt).
func newClient(g Guard, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: min(timeout, 5*time.Second), Control: g.Control}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   min(timeout, 5*time.Second),
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Notify wakes the worker to look for due deliveries now.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run sends due deliveries until ctx ends. Attempts in flight then are
// cut short and rescheduled at once, so they go out first after a
// restart.
func (w *Worker) Run(ctx context.Context) {
	tick := time.NewTicker(w.opts.Poll)
	defer tick.Stop()
	batch := 2 * w.opts.Concurrency
	for {
		n, err := w.Round(ctx, batch)
		if err != nil && ctx.Err() == nil {
			w.opts.Log.Warn("webhook deliveries", zap.Error(err))
		}
		if n == batch && ctx.Err() == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-w.wake:
		}
	}
}

// Round claims up to limit due deliveries, sends them and records the
// outcomes; it returns how many it claimed.
func (w *Worker) Round(ctx context.Context, limit int) (int, error) {
	lease := w.opts.Timeout + leaseSlack
	ds, err := w.opts.Store.ClaimDeliveries(ctx, w.opts.Now(), lease, limit)
	if err != nil {
		return 0, fmt.Errorf("webhook: claim deliveries: %w", err)
	}
	sem := make(chan struct{}, w.opts.Concurrency)
	var wg sync.WaitGroup
	errs := make([]error, len(ds))
	for i := range ds {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			a := w.attempt(ctx, &ds[i])
			// Record the outcome even when shutting down.
			rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := w.opts.Store.FinishAttempt(rec, a); err != nil {
				errs[i] = fmt.Errorf("webhook: record attempt: %w", err)
			}
		})
	}
	wg.Wait()
	return len(ds), errors.Join(errs...)
}

// attempt sends d once and decides what happens next.
func (w *Worker) attempt(ctx context.Context, d *core.Delivery) core.Attempt {
	a := core.Attempt{DeliveryID: d.ID, Number: d.Attempts}
	code, err := w.send(ctx, d)
	a.ResponseCode = code
	log := w.opts.Log.With(zap.String("delivery_id", d.ID), zap.String("event", string(d.EventType)),
		zap.Int("attempt", d.Attempts), zap.Int("status", code))
	switch {
	case err == nil:
		a.Succeeded = true
		log.Debug("webhook delivered")
		w.attempts.WithLabelValues("delivered").Inc()
		return a
	case ctx.Err() != nil:
		// Shutting down: not the endpoint's fault, and not its last try.
		a.Error, a.Retry = "interrupted by a server shutdown; retried at start-up", w.opts.Now()
		w.attempts.WithLabelValues("interrupted").Inc()
		return a
	}
	a.Error = err.Error()
	if d.Attempts >= w.opts.MaxAttempts {
		log.Warn("webhook delivery failed for good", zap.Error(err))
		w.attempts.WithLabelValues("failed").Inc()
		return a
	}
	w.attempts.WithLabelValues("retry").Inc()
	a.Retry = w.opts.Now().Add(w.backoff(d.Attempts))
	log.Info("webhook delivery failed; will retry", zap.Error(err), zap.Time("retry_at", a.Retry))
	return a
}

// backoff is the wait after the n-th failed attempt: RetryBase·2^(n-1),
// ±20%, at most MaxBackoff.
func (w *Worker) backoff(n int) time.Duration {
	d := w.opts.RetryBase
	for i := 1; i < n && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64())) //nolint:gosec // jitter needs no crypto
}

// errStatus is a non-2xx answer.
type errStatus int

func (e errStatus) Error() string { return "the endpoint answered HTTP " + strconv.Itoa(int(e)) }

// send POSTs d and returns the status code (0 without an answer); an error
// unless 2xx.
func (w *Worker) send(ctx context.Context, d *core.Delivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, fmt.Errorf("bad webhook URL: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", w.opts.UserAgent)
	h.Set(SignatureHeader, Sign(d.Secret, w.opts.Now(), d.Payload))
	h.Set(EventHeader, string(d.EventType))
	h.Set(EventIDHeader, d.EventID)
	h.Set(DeliveryHeader, d.ID)
	h.Set(AttemptHeader, strconv.Itoa(d.Attempts))
	res, err := w.client.Do(req)
	if err != nil {
		return 0, describe(err)
	}
	defer res.Body.Close()
	// Drain a little so the connection can be reused; the body is not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, errStatus(res.StatusCode)
	}
	return res.StatusCode, nil
}

// describe turns a transport error into a sentence for the delivery log.
func describe(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrBlockedAddress):
		return fmt.Errorf("refused to connect: %w", ErrBlockedAddress)
	case errors.As(err, &ne) && ne.Timeout():
		return errors.New("the endpoint did not answer in time")
	}
	return fmt.Errorf("could not reach the endpoint: %w", err)
}
