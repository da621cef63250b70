package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/api"
	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/config"
	"github.com/voltrun/voltrun/internal/engine"
	"github.com/voltrun/voltrun/internal/store"
	"github.com/voltrun/voltrun/web"
)

// shutdownGrace bounds how long in-flight requests get to finish.
const shutdownGrace = 20 * time.Second

// runServer wires every component from cfg, serves until ctx ends, then
// shuts down in order: stop accepting, drain requests and end log streams,
// stop the async workers, destroy sandboxes, flush buffered writes, drain
// NATS, close the database. ready, if set, receives the bound address.
func runServer(ctx context.Context, cfg *config.Config, ready func(addr string)) error {
	log, stopLog, err := newLogger(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer stopLog()

	st, err := store.Open(ctx, store.Options{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Warn("close database", zap.Error(err))
		}
	}()
	log.Info("database ready", zap.String("dialect", st.Dialect()))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	driver, why, err := pickDriver(cfg.Sandbox, cfg.DataDir, log)
	if err != nil {
		return err
	}
	log.Info("sandbox driver", zap.String("driver", driver.Name()), zap.String("why", why),
		zap.Any("capabilities", driver.Capabilities()))
	if c, ok := driver.(io.Closer); ok {
		defer func() { // runs after every instance is destroyed (stopBackground)
			if err := c.Close(); err != nil {
				log.Warn("close sandbox driver", zap.Error(err))
			}
		}()
	}

	keyUse := auth.NewKeyUse(st)
	// 1,024 records a batch write for less each than 256 (docs/benchmarks.md, round 10);
	// the recorder also bounds a batch by its bytes.
	recorder := engine.NewRecorder(st, log.Named("recorder"), 1024, 100*time.Millisecond)
	q, closeQueue, err := openQueue(ctx, cfg, recorder, log, reg)
	if err != nil {
		return err
	}
	defer closeQueue() // after the recorder's last flush, before the database closes
	bill, err := newBilling(ctx, cfg.Billing, st, log, reg)
	if err != nil {
		return err
	}
	eng := engine.New(engine.Options{
		Driver: driver, Recorder: recorder, Log: log.Named("engine"), Registerer: reg, Logs: q,
		IdleTTL: cfg.WarmTTL, PoolMemoryMB: cfg.PoolMemoryMB,
		MaxCalls: cfg.InstanceMaxCalls, MaxMemoryFraction: float64(cfg.InstanceMaxMemoryPct) / 100,
		Admission: bill.quotas, BillingGranularityMS: cfg.Billing.GranularityMS,
		SnapshotAfter: snapshotAfter(cfg.SnapshotAfter),
	})
	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	var bgWG sync.WaitGroup
	bgWG.Go(func() {
		keyUse.Run(bg, 15*time.Second, func(err error) { log.Warn("record api key use", zap.Error(err)) })
	})
	bgWG.Go(func() { recorder.Run(bg) })
	bgWG.Go(func() { eng.Run(bg) })
	bill.start(bg, &bgWG)
	stopWorker := startWorker(bg, cfg, q, eng, st, log)
	stopBackground := func() {
		stopWorker(shutdownGrace)
		eng.Close()
		stopBg()
		bgWG.Wait()
	}

	stopping := make(chan struct{}) // ends the log streams, which outlive the HTTP shutdown
	app := api.New(api.Deps{
		Store:       st,
		Tokens:      auth.NewTokens(cfg.JWTSecret, cfg.JWTTTL),
		KeyUse:      keyUse,
		Log:         log,
		Registry:    reg,
		Version:     version,
		Checks:      map[string]api.Check{"database": st.Ping, "queue": q.Check},
		Info:        map[string]string{"sandbox": driver.Name()},
		Invoker:     eng,
		Retirer:     eng,
		Pending:     recorder.Pending,
		PendingOf:   recorder.PendingOf,
		Async:       q,
		Logs:        q,
		Stopping:    stopping,
		Quotas:      bill.quotas,
		HookGuard:   bill.guard,
		BodyLimit:   cfg.BodyLimit,
		CORSOrigins: cfg.CORSOrigins,
		TrustProxy:  cfg.TrustProxy,
	})

	// The dashboard answers whatever the API's routes did not match.
	app.Use(web.Handler(log))

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		stopBackground()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("voltrun listening", zap.String("addr", ln.Addr().String()), zap.String("version", version),
		zap.Int("procs", runtime.GOMAXPROCS(0)))
	if ready != nil {
		ready(ln.Addr().String())
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- app.Listener(ln) }()

	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		log.Info("shutting down", zap.Error(context.Cause(ctx)))
		if serr := app.ShutdownWithTimeout(shutdownGrace); serr != nil && !errors.Is(serr, context.DeadlineExceeded) {
			log.Warn("shutdown", zap.Error(serr))
		}
		err = nil
	}
	close(stopping)
	// Requests have drained: now stop the async workers, release sandboxes
	// and flush the records and key uses they produced; then (deferred)
	// drain NATS and close the database.
	stopBackground()
	log.Info("stopped")
	return err
}

// snapshotAfter maps the setting's 0 (off) to the engine's negative.
func snapshotAfter(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
