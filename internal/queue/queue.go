package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/core"
)

// Options configure the connection to NATS.
type Options struct {
	// URL names an external NATS cluster (comma-separated server URLs,
	// which may carry user:password@ or token@). Empty embeds a server.
	URL string
	// CredsFile is a NATS credentials file for the external cluster.
	CredsFile string
	// DataDir holds the embedded server's JetStream storage (DataDir/nats).
	DataDir string
	// Listen, for the embedded server, is the host:port other nodes may
	// connect to; empty opens no port (in-process connection only).
	// ListenUser and ListenPassword, or ListenToken, are then required of
	// every client, this process's own connection included.
	Listen                     string
	ListenUser, ListenPassword string
	ListenToken                string
	// Prefix starts every subject, stream and consumer name; default
	// "voltrun".
	Prefix string
	// AckWait is how long a call may stay claimed by a worker that stopped
	// answering before another worker gets it; default 30s.
	AckWait time.Duration
	// Recorder records queued and dead-lettered executions.
	Recorder Recorder
	Log      *zap.Logger
	// Registerer receives the queue's metrics; nil keeps them private.
	Registerer prometheus.Registerer
}

// Recorder is the part of the engine's batched execution writer the queue
// uses (*engine.Recorder).
type Recorder interface {
	// Add queues a record for writing.
	Add(e core.Execution) error
	// AwaitWritten waits until the latest record with this id is written.
	AwaitWritten(ctx context.Context, id string) error
}

// Queue is a connection to NATS with the streams VoltRun needs: it
// publishes and subscribes to live logs and enqueues asynchronous calls.
// It is safe for concurrent use; Close it after the engine and workers.
type Queue struct {
	opts     Options
	log      *zap.Logger
	srv      *server.Server // nil with an external cluster
	nc       *nats.Conn
	js       jetstream.JetStream
	cons     jetstream.Consumer
	names    names
	metrics  *metrics
	logs     *publisher
	closedCh chan struct{}
}

// names are the subjects and JetStream names under the prefix.
type names struct {
	prefix, stream, consumer string
}

func namesOf(prefix string) names {
	return names{
		prefix:   prefix,
		stream:   strings.ToUpper(strings.ReplaceAll(prefix, "-", "_")) + "_ASYNC",
		consumer: strings.ReplaceAll(prefix, "-", "_") + "_workers",
	}
}

func (n names) asyncSubject(functionID string) string { return n.prefix + ".async." + functionID }

func (n names) logSubject(ownerID, functionID, executionID string) string {
	return n.prefix + ".logs." + ownerID + "." + functionID + "." + executionID
}

// Default settings.
const (
	DefaultPrefix  = "voltrun"
	DefaultAckWait = 30 * time.Second
	// embeddedMaxPayload lets a whole 6 MiB event through the embedded
	// server; an external cluster's own max_payload applies there.
	embeddedMaxPayload = 8 << 20
	// dedupWindow is how long JetStream remembers execution ids to drop a
	// publish repeated after a lost acknowledgement.
	dedupWindow = 2 * time.Minute
)

// Open starts the embedded NATS server or connects to the external
// cluster, and creates (or updates) the async stream and its consumer.
func Open(ctx context.Context, opts Options) (*Queue, error) {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.AckWait <= 0 {
		opts.AckWait = DefaultAckWait
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	if opts.URL == "" && opts.DataDir == "" {
		return nil, errors.New("queue: the embedded NATS server needs a data directory")
	}
	if opts.Recorder == nil {
		return nil, errors.New("queue: a recorder is required")
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	q := &Queue{opts: opts, log: opts.Log, names: namesOf(opts.Prefix), metrics: newMetrics(reg), closedCh: make(chan struct{})}
	if err := q.connect(); err != nil {
		q.shutdownServer()
		return nil, err
	}
	if err := q.setup(ctx); err != nil {
		q.nc.Close()
		q.shutdownServer()
		return nil, err
	}
	var interest func(string) bool
	if q.srv != nil {
		// Every client of the embedded server, a node connected to its
		// listener included, subscribes in its global account.
		interest = q.srv.GlobalAccount().SubscriptionInterest
	}
	q.logs = newPublisher(q.nc, q.names, q.metrics, interest)
	return q, nil
}

// connect starts the embedded server when there is no URL, then connects.
func (q *Queue) connect() error {
	o := q.opts
	copts := []nats.Option{
		nats.Name("voltrun"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				q.log.Warn("nats disconnected", zap.Error(err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { q.log.Info("nats reconnected", zap.String("server", nc.ConnectedUrlRedacted())) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			q.log.Warn("nats error", zap.String("subject", subject), zap.Error(err))
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(q.closedCh) }),
	}
	url := o.URL
	if url == "" {
		srv, err := startEmbedded(o, q.log.Named("nats-server"))
		if err != nil {
			return err
		}
		q.srv = srv
		copts = append(copts, nats.InProcessServer(srv))
		switch {
		case o.ListenToken != "":
			copts = append(copts, nats.Token(o.ListenToken))
		case o.ListenUser != "":
			copts = append(copts, nats.UserInfo(o.ListenUser, o.ListenPassword))
		}
	} else if o.CredsFile != "" {
		copts = append(copts, nats.UserCredentials(o.CredsFile))
	}
	nc, err := nats.Connect(url, copts...)
	if err != nil {
		return fmt.Errorf("queue: connect to nats: %w", err)
	}
	q.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("queue: jetstream: %w", err)
	}
	q.js = js
	return nil
}

// startEmbedded runs a NATS server in this process with JetStream on.
func startEmbedded(o Options, log *zap.Logger) (*server.Server, error) {
	sopts := &server.Options{
		ServerName: "voltrun",
		JetStream:  true,
		StoreDir:   filepath.Join(o.DataDir, "nats"),
		MaxPayload: embeddedMaxPayload,
		NoSigs:     true,
		DontListen: o.Listen == "",
		Port:       -1,
	}
	if o.Listen != "" {
		host, port, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("queue: nats listen address %q: %w", o.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("queue: nats listen port %q: %w", port, err)
		}
		sopts.Host, sopts.Port = host, p
		sopts.Username, sopts.Password, sopts.Authorization = o.ListenUser, o.ListenPassword, o.ListenToken
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("queue: embedded nats: %w", err)
	}
	srv.SetLoggerV2(serverLogger{log.Sugar()}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("queue: embedded nats did not start within 30s")
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		return nil, errors.New("queue: embedded nats started without JetStream (see its log)")
	}
	if o.Listen != "" {
		log.Info("nats listening", zap.String("addr", srv.Addr().String()))
	}
	return srv, nil
}

// setup creates or updates the async stream and the workers' consumer. An
// existing stream keeps its replica count, which an operator may have
// raised on a cluster.
func (q *Queue) setup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cfg := jetstream.StreamConfig{
		Name:        q.names.stream,
		Description: "VoltRun asynchronous invocations",
		Subjects:    []string{q.names.prefix + ".async.>"},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		Duplicates:  dedupWindow,
		MaxMsgs:     -1,
		MaxBytes:    -1,
		Replicas:    1,
	}
	st, err := q.js.Stream(ctx, cfg.Name)
	switch {
	case err == nil:
		cfg.Replicas = st.CachedInfo().Config.Replicas
		_, err = q.js.UpdateStream(ctx, cfg)
	case errors.Is(err, jetstream.ErrStreamNotFound):
		_, err = q.js.CreateStream(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("queue: stream %s: %w", cfg.Name, err)
	}
	q.cons, err = q.js.CreateOrUpdateConsumer(ctx, cfg.Name, jetstream.ConsumerConfig{
		Durable:       q.names.consumer,
		Description:   "VoltRun workers",
		FilterSubject: q.names.prefix + ".async.>",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 10000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("queue: consumer %s: %w", q.names.consumer, err)
	}
	return nil
}

// Check reports whether NATS is connected and JetStream answers, for the
// health endpoint.
func (q *Queue) Check(ctx context.Context) error {
	if !q.nc.IsConnected() {
		return fmt.Errorf("queue: nats %s", q.nc.Status())
	}
	if _, err := q.js.Stream(ctx, q.names.stream); err != nil {
		return fmt.Errorf("queue: stream %s: %w", q.names.stream, err)
	}
	return nil
}

// Close publishes the log lines still queued, drains the connection and
// stops the embedded server. Call it after the workers and the engine have
// stopped; ctx bounds the wait.
func (q *Queue) Close(ctx context.Context) error {
	q.logs.close(ctx)
	var err error
	if derr := q.nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
		err = fmt.Errorf("queue: drain: %w", derr)
	}
	select {
	case <-q.closedCh:
	case <-ctx.Done():
		q.nc.Close()
		err = errors.Join(err, fmt.Errorf("queue: drain: %w", context.Cause(ctx)))
	}
	q.shutdownServer()
	return err
}

func (q *Queue) shutdownServer() {
	if q.srv != nil {
		q.srv.Shutdown()
		q.srv.WaitForShutdown()
	}
}

// serverLogger writes the embedded server's log through zap. Its routine
// notices (start-up banner) are debug; Fatalf never exits the process.
type serverLogger struct{ l *zap.SugaredLogger }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debugf(format, v...) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warnf(format, v...) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Errorf(format, v...) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Errorf(format, v...) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Debugf(format, v...) }
func (s serverLogger) Tracef(string, ...any)           {}
