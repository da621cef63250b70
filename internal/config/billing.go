package config

import (
	"fmt"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// Billing configures metering, plans and quotas, and billing webhooks.
type Billing struct {
	// GranularityMS is VOLTRUN_BILLING_GRANULARITY_MS: billed time is run
	// time rounded up to whole granules.
	GranularityMS int64
	// Plans are the built-in plans with VOLTRUN_PLANS (inline JSON, or the
	// path of a JSON file) added.
	Plans map[string]core.Plan
	// DefaultPlan is VOLTRUN_DEFAULT_PLAN, the plan of accounts without one.
	DefaultPlan string
	// AdminEmails is VOLTRUN_ADMIN_EMAILS; when empty the first registered
	// user becomes the admin.
	AdminEmails []string
	// ReportInterval is VOLTRUN_USAGE_REPORT_INTERVAL, how often
	// usage.report events are sent.
	ReportInterval time.Duration
	// WebhookAllowPrivate is VOLTRUN_WEBHOOK_ALLOW_PRIVATE: let webhooks
	// target loopback, private and link-local addresses.
	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration // VOLTRUN_WEBHOOK_TIMEOUT, per attempt
	WebhookRetryBase    time.Duration // VOLTRUN_WEBHOOK_RETRY_BASE, the first retry's wait
	WebhookMaxAttempts  int           // VOLTRUN_WEBHOOK_MAX_ATTEMPTS
}

func (b *Billing) parse(vals map[string]string) error {
	var err error
	b.GranularityMS, err = strconv.ParseInt(vals["VOLTRUN_BILLING_GRANULARITY_MS"], 10, 64)
	if err != nil || b.GranularityMS < 1 || b.GranularityMS > 60000 {
		return fmt.Errorf("VOLTRUN_BILLING_GRANULARITY_MS %q must be a whole number of milliseconds from 1 to 60000", vals["VOLTRUN_BILLING_GRANULARITY_MS"])
	}
	if b.Plans, err = loadPlans(vals["VOLTRUN_PLANS"]); err != nil {
		return err
	}
	b.DefaultPlan = vals["VOLTRUN_DEFAULT_PLAN"]
	if _, ok := b.Plans[b.DefaultPlan]; !ok {
		return fmt.Errorf("VOLTRUN_DEFAULT_PLAN %q is not a defined plan", b.DefaultPlan)
	}
	for e := range strings.SplitSeq(vals["VOLTRUN_ADMIN_EMAILS"], ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e == "" {
			continue
		}
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			return fmt.Errorf("VOLTRUN_ADMIN_EMAILS entry %q is not an email address", e)
		}
		b.AdminEmails = append(b.AdminEmails, e)
	}
	b.ReportInterval, err = time.ParseDuration(vals["VOLTRUN_USAGE_REPORT_INTERVAL"])
	if err != nil || b.ReportInterval < time.Second || b.ReportInterval > 31*24*time.Hour {
		return fmt.Errorf("VOLTRUN_USAGE_REPORT_INTERVAL %q must be a duration between 1s and 744h (e.g. 1h)", vals["VOLTRUN_USAGE_REPORT_INTERVAL"])
	}
	b.WebhookAllowPrivate, err = strconv.ParseBool(vals["VOLTRUN_WEBHOOK_ALLOW_PRIVATE"])
	if err != nil {
		return fmt.Errorf("VOLTRUN_WEBHOOK_ALLOW_PRIVATE %q must be true or false", vals["VOLTRUN_WEBHOOK_ALLOW_PRIVATE"])
	}
	b.WebhookTimeout, err = time.ParseDuration(vals["VOLTRUN_WEBHOOK_TIMEOUT"])
	if err != nil || b.WebhookTimeout < 100*time.Millisecond || b.WebhookTimeout > 5*time.Minute {
		return fmt.Errorf("VOLTRUN_WEBHOOK_TIMEOUT %q must be a duration between 100ms and 5m", vals["VOLTRUN_WEBHOOK_TIMEOUT"])
	}
	b.WebhookRetryBase, err = time.ParseDuration(vals["VOLTRUN_WEBHOOK_RETRY_BASE"])
	if err != nil || b.WebhookRetryBase < 10*time.Millisecond || b.WebhookRetryBase > 6*time.Hour {
		return fmt.Errorf("VOLTRUN_WEBHOOK_RETRY_BASE %q must be a duration between 10ms and 6h", vals["VOLTRUN_WEBHOOK_RETRY_BASE"])
	}
	b.WebhookMaxAttempts, err = strconv.Atoi(vals["VOLTRUN_WEBHOOK_MAX_ATTEMPTS"])
	if err != nil || b.WebhookMaxAttempts < 1 || b.WebhookMaxAttempts > 50 {
		return fmt.Errorf("VOLTRUN_WEBHOOK_MAX_ATTEMPTS %q must be a whole number from 1 to 50", vals["VOLTRUN_WEBHOOK_MAX_ATTEMPTS"])
	}
	return nil
}

// loadPlans parses VOLTRUN_PLANS: JSON when it starts with "{", else the
// path of a JSON file.
func loadPlans(v string) (map[string]core.Plan, error) {
	data := []byte(v)
	if v != "" && !strings.HasPrefix(v, "{") {
		var err error
		if data, err = os.ReadFile(v); err != nil {
			return nil, fmt.Errorf("VOLTRUN_PLANS: read %s: %w", v, err)
		}
	}
	plans, err := core.ParsePlans(data)
	if err != nil {
		return nil, fmt.Errorf("VOLTRUN_PLANS: %w", err)
	}
	return plans, nil
}
