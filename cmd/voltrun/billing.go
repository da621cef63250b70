package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/config"
	"github.com/voltrun/voltrun/internal/store"
	"github.com/voltrun/voltrun/internal/usage"
	"github.com/voltrun/voltrun/internal/webhook"
)

// billing is metering's moving parts: quotas (checked on every call),
// the webhook sender and the usage reporter.
type billing struct {
	quotas   *usage.Quotas
	guard    webhook.Guard
	sender   *webhook.Worker
	reporter *usage.Reporter
}

// newBilling builds the billing components from cfg and applies the admin
// policy to the existing accounts.
func newBilling(ctx context.Context, cfg config.Billing, st *store.Store, log *zap.Logger, reg prometheus.Registerer) (*billing, error) {
	guard := webhook.Guard{AllowPrivate: cfg.WebhookAllowPrivate}
	sender := webhook.NewWorker(webhook.Options{
		Store: st, Guard: guard, Log: log.Named("webhooks"), Timeout: cfg.WebhookTimeout,
		RetryBase: cfg.WebhookRetryBase, MaxAttempts: cfg.WebhookMaxAttempts, UserAgent: "VoltRun-Webhooks/" + version,
		Registerer: reg,
	})
	policy := usage.Policy{Plans: cfg.Plans, DefaultPlan: cfg.DefaultPlan, AdminEmails: cfg.AdminEmails}
	quotas := usage.New(usage.Options{Store: st, Policy: policy, Log: log.Named("quotas"), Notify: sender.Notify, Registerer: reg})
	if _, err := quotas.PromoteAdmins(ctx, ""); err != nil {
		return nil, fmt.Errorf("apply the admin policy: %w", err)
	}
	if cfg.WebhookAllowPrivate {
		log.Warn("webhooks may target loopback, private and link-local addresses (VOLTRUN_WEBHOOK_ALLOW_PRIVATE)")
	}
	log.Info("billing", zap.Int("plans", len(cfg.Plans)), zap.String("default_plan", cfg.DefaultPlan),
		zap.Int64("granularity_ms", cfg.GranularityMS), zap.Duration("usage_report_interval", cfg.ReportInterval))
	return &billing{
		quotas: quotas, guard: guard, sender: sender,
		reporter: &usage.Reporter{
			Store: st, Policy: quotas.Policy(), Every: cfg.ReportInterval, Log: log.Named("usage-reports"), Notify: sender.Notify,
		},
	}, nil
}

// start runs the background parts until ctx ends.
func (b *billing) start(ctx context.Context, wg *sync.WaitGroup) {
	wg.Go(func() { b.quotas.Run(ctx) })
	wg.Go(func() { b.sender.Run(ctx) })
	wg.Go(func() { b.reporter.Run(ctx) })
}
