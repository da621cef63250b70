package core

import (
	"strings"
	"testing"
)

func TestParsePlans(t *testing.T) {
	plans, err := ParsePlans([]byte(`{"pro": {"monthly_invocations": 10, "requests_per_second": 2.5},
		"free": {"max_functions": 3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := plans["pro"]; p.Name != "pro" || p.MonthlyInvocations != 10 || p.Burst != 5 || p.KeyBurst != 0 {
		t.Fatalf("pro = %+v; want a burst of twice the rate", p)
	}
	if p := plans["free"]; p.MaxFunctions != 3 || p.MonthlyInvocations != 0 {
		t.Fatalf("a redefined free plan = %+v; want only what was given", p)
	}
	if _, ok := plans[PlanUnlimited]; !ok {
		t.Fatal("the built-in unlimited plan is gone")
	}
	if plans, err := ParsePlans(nil); err != nil || len(plans) != 2 {
		t.Fatalf("no plans: %v, %v", plans, err)
	}
	if p := plans["pro"]; p.MonthlyMBMS() != 0 {
		t.Fatalf("MonthlyMBMS of no limit = %d", p.MonthlyMBMS())
	}
	if p := (Plan{MonthlyGBSeconds: 1.5}); p.MonthlyMBMS() != 1536000 {
		t.Fatalf("MonthlyMBMS = %d", p.MonthlyMBMS())
	}
	for _, tc := range []struct{ json, want string }{
		{`[]`, "JSON object"},
		{`{"Pro": {}}`, "must match"},
		{`{"pro": {"monthly_invocation": 1}}`, "unknown field"},
		{`{"pro": {"max_functions": -1}}`, "zero (no limit) or positive"},
		{`{"pro": {"max_memory_mb": 32}}`, "at least 64"},
		{`{"pro": {"name": "gold"}}`, "differs"},
		{`{"pro": {"monthly_gb_seconds": 1e300}}`, "too large"},
		{`{"pro": {"burst": "x"}}`, "cannot unmarshal"},
	} {
		if _, err := ParsePlans([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePlans(%s) = %v, want an error about %q", tc.json, err, tc.want)
		}
	}
}
