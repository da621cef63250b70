package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/api"
	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/config"
	"github.com/voltrun/voltrun/internal/store"
)

// shutdownGrace bounds how long in-flight requests get to finish.
const shutdownGrace = 20 * time.Second

// runServer wires every component from cfg, serves until ctx ends, then
// shuts down in order: stop accepting, drain requests, flush buffered
// writes, close the database. ready, if set, receives the bound address.
func runServer(ctx context.Context, cfg *config.Config, ready func(addr string)) error {
	log, err := newLogger(cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

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

	keyUse := auth.NewKeyUse(st)
	bg, stopBg := context.WithCancel(context.WithoutCancel(ctx))
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		keyUse.Run(bg, 15*time.Second, func(err error) { log.Warn("record api key use", zap.Error(err)) })
	}()

	app := api.New(api.Deps{
		Store:       st,
		Tokens:      auth.NewTokens(cfg.JWTSecret, cfg.JWTTTL),
		KeyUse:      keyUse,
		Log:         log,
		Registry:    reg,
		Version:     version,
		Checks:      map[string]api.Check{"database": st.Ping},
		BodyLimit:   cfg.BodyLimit,
		CORSOrigins: cfg.CORSOrigins,
		TrustProxy:  cfg.TrustProxy,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		stopBg()
		<-bgDone
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("voltrun listening", zap.String("addr", ln.Addr().String()), zap.String("version", version))
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
	stopBg()
	<-bgDone
	log.Info("stopped")
	return err
}
