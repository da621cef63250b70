package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/api"
	"github.com/voltrun/voltrun/internal/config"
	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/engine"
	"github.com/voltrun/voltrun/internal/queue"
)

// The queue and the engine fill each other's and the API's interfaces.
var (
	_ api.Enqueuer   = (*queue.Queue)(nil)
	_ api.LogStream  = (*queue.Queue)(nil)
	_ queue.Invoker  = (*engine.Engine)(nil)
	_ queue.Recorder = (*engine.Recorder)(nil)
)

// queueCloseTimeout bounds draining NATS at shutdown.
const queueCloseTimeout = 30 * time.Second

// openQueue starts the embedded NATS server or connects to the external
// cluster. The returned func drains and closes it; call it after the
// workers, the engine and the recorder have stopped.
func openQueue(ctx context.Context, cfg *config.Config, rec *engine.Recorder, log *zap.Logger, reg prometheus.Registerer) (*queue.Queue, func(), error) {
	qc := cfg.Queue
	q, err := queue.Open(ctx, queue.Options{
		URL: qc.URL, CredsFile: qc.CredsFile, DataDir: cfg.DataDir,
		Listen: qc.Listen.Addr, ListenUser: qc.Listen.User, ListenPassword: qc.Listen.Password, ListenToken: qc.Listen.Token,
		Prefix: qc.Prefix, AckWait: qc.AckWait, Recorder: rec, Log: log.Named("queue"), Registerer: reg,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("open queue: %w", err)
	}
	mode := "embedded"
	if qc.URL != "" {
		mode = "external"
	}
	log.Info("queue ready", zap.String("nats", mode), zap.String("prefix", qc.Prefix), zap.Int("async_concurrency", qc.Concurrency))
	return q, func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queueCloseTimeout)
		defer cancel()
		if err := q.Close(cctx); err != nil {
			log.Warn("close queue", zap.Error(err))
		}
	}, nil
}

// startWorker runs this node's async worker unless its concurrency is 0;
// the returned func stops it, giving calls in flight grace to finish.
func startWorker(ctx context.Context, cfg *config.Config, q *queue.Queue, eng *engine.Engine, st core.Store, log *zap.Logger) func(grace time.Duration) {
	if cfg.Queue.Concurrency == 0 {
		return func(time.Duration) {}
	}
	w := queue.NewWorker(q, queue.WorkerOptions{
		Invoker: eng, Functions: st, Concurrency: cfg.Queue.Concurrency, Log: log.Named("worker"),
	})
	w.Start(ctx)
	return w.Stop
}
