package usage

import "github.com/prometheus/client_golang/prometheus"

// metrics are the refusals Quotas counts, by limit: a plan field
// (monthly_invocations, max_concurrent_executions...) or, for rate limits,
// requests_per_second and key_requests_per_second.
type metrics struct {
	refusals *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "voltrun_quota_refusals_total",
		Help: "Requests refused for an account's plan, by limit.",
	}, []string{"limit"})}
	if reg != nil {
		reg.MustRegister(m.refusals)
	}
	return m
}
