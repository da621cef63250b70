package engine

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/voltrun/voltrun/internal/core"
)

// metrics are the engine's Prometheus series.
type metrics struct {
	invocations *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	coldStarts  *prometheus.CounterVec
	queued      *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, e *Engine) *metrics {
	m := &metrics{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_invocations_total",
			Help: "Invocations finished, by runtime and status.",
		}, []string{"runtime", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "voltrun_invocation_duration_seconds",
			Help:    "Handler run time as measured by the host, by runtime.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}, []string{"runtime"}),
		coldStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_cold_starts_total",
			Help: "Invocations that needed a new instance, by runtime and how it was had: snapshot (restored already loaded from an image taken after the function's load), prewarmed (a waiting sandbox got the code) or boot (a sandbox was started for the call).",
		}, []string{"runtime", "how"}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_queued_calls_total",
			Help: "Calls that waited for a busy warm instance rather than start one, by outcome: served (a busy instance took the call) or started (it started one after all).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.invocations, m.duration, m.coldStarts, m.queued, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "voltrun_warm_instances",
		Help: "Idle warm instances waiting for a call of their function.",
	}, func() float64 { return float64(e.Idle()) }))
	if e.pool != nil {
		for _, rt := range []core.Runtime{core.RuntimeNode, core.RuntimePython} {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "voltrun_prewarmed_instances",
				Help:        "Pre-warmed sandboxes waiting for a function, by runtime.",
				ConstLabels: prometheus.Labels{"runtime": string(rt)},
			}, func() float64 { return float64(e.pool.idleCount()[rt]) }))
		}
	}
	return m
}

func (m *metrics) observe(runtime core.Runtime, e *core.Execution) {
	r := string(runtime)
	m.invocations.WithLabelValues(r, string(e.Status)).Inc()
	m.duration.WithLabelValues(r).Observe(float64(e.DurationMS) / 1000)
}

func (m *metrics) coldStart(runtime core.Runtime, how string) {
	m.coldStarts.WithLabelValues(string(runtime), how).Inc()
}
