package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadWith(t *testing.T, env map[string]string) (*Config, error) {
	t.Helper()
	vals := map[string]string{"VOLTRUN_DATA_DIR": t.TempDir(), "VOLTRUN_JWT_SECRET": strings.Repeat("s", 32)}
	for k, v := range env {
		vals[k] = v
	}
	return Load(nil, func(k string) (string, bool) { v, ok := vals[k]; return v, ok })
}

func TestBillingDefaults(t *testing.T) {
	c, err := loadWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := c.Billing
	if b.GranularityMS != 1 || b.DefaultPlan != "free" || len(b.Plans) != 2 || b.AdminEmails != nil ||
		b.ReportInterval != time.Hour || b.WebhookAllowPrivate || b.WebhookTimeout != 10*time.Second ||
		b.WebhookRetryBase != 30*time.Second || b.WebhookMaxAttempts != 10 {
		t.Fatalf("defaults %+v", b)
	}
}

func TestBillingSettings(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(file, []byte(`{"team": {"max_concurrent_executions": 7}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadWith(t, map[string]string{
		"VOLTRUN_BILLING_GRANULARITY_MS": "100", "VOLTRUN_PLANS": file, "VOLTRUN_DEFAULT_PLAN": "team",
		"VOLTRUN_ADMIN_EMAILS": " Ops@Example.com, ,root@example.com", "VOLTRUN_USAGE_REPORT_INTERVAL": "5m",
		"VOLTRUN_WEBHOOK_ALLOW_PRIVATE": "true", "VOLTRUN_WEBHOOK_MAX_ATTEMPTS": "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	b := c.Billing
	if b.GranularityMS != 100 || b.Plans["team"].MaxConcurrent != 7 || b.DefaultPlan != "team" ||
		strings.Join(b.AdminEmails, ",") != "ops@example.com,root@example.com" || b.ReportInterval != 5*time.Minute ||
		!b.WebhookAllowPrivate || b.WebhookMaxAttempts != 3 {
		t.Fatalf("settings %+v", b)
	}
	c, err = loadWith(t, map[string]string{"VOLTRUN_PLANS": `{"x": {"monthly_invocations": 1}}`, "VOLTRUN_DEFAULT_PLAN": "x"})
	if err != nil || c.Billing.Plans["x"].MonthlyInvocations != 1 {
		t.Fatalf("inline plans: %v", err)
	}
}

func TestBillingErrors(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"VOLTRUN_BILLING_GRANULARITY_MS", "0", "VOLTRUN_BILLING_GRANULARITY_MS"},
		{"VOLTRUN_BILLING_GRANULARITY_MS", "1.5", "VOLTRUN_BILLING_GRANULARITY_MS"},
		{"VOLTRUN_PLANS", `{"pro": {"max_functions": -1}}`, "VOLTRUN_PLANS: plan \"pro\""},
		{"VOLTRUN_PLANS", "/does/not/exist.json", "VOLTRUN_PLANS: read"},
		{"VOLTRUN_DEFAULT_PLAN", "gold", "VOLTRUN_DEFAULT_PLAN"},
		{"VOLTRUN_ADMIN_EMAILS", "not-an-email", "VOLTRUN_ADMIN_EMAILS"},
		{"VOLTRUN_USAGE_REPORT_INTERVAL", "10ms", "VOLTRUN_USAGE_REPORT_INTERVAL"},
		{"VOLTRUN_WEBHOOK_ALLOW_PRIVATE", "maybe", "VOLTRUN_WEBHOOK_ALLOW_PRIVATE"},
		{"VOLTRUN_WEBHOOK_TIMEOUT", "1h", "VOLTRUN_WEBHOOK_TIMEOUT"},
		{"VOLTRUN_WEBHOOK_RETRY_BASE", "soon", "VOLTRUN_WEBHOOK_RETRY_BASE"},
		{"VOLTRUN_WEBHOOK_MAX_ATTEMPTS", "0", "VOLTRUN_WEBHOOK_MAX_ATTEMPTS"},
	} {
		if _, err := loadWith(t, map[string]string{tc.key: tc.value}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: %v, want an error naming %s", tc.key, tc.value, err, tc.want)
		}
	}
}
