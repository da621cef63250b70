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
	retired     *prometheus.CounterVec
}

// Why a cold start was needed, for voltrun_cold_starts_total.
const (
	coldFromZero = "scale_from_zero" // no instance of the code served or waited
	coldScaleOut = "scale_out"       // its instances were all busy
)

// Why an instance was destroyed, for voltrun_instances_retired_total. An
// instance that died in a call is counted under its sandbox.Reason
// (timeout, out_of_memory, crash...).
const (
	retiredIdle     = "idle"        // unused for IdleTTL: scale to zero
	retiredMaxCalls = "max_calls"   // served Options.MaxCalls calls
	retiredMemory   = "memory"      // grew past Options.MaxMemoryFraction
	retiredChanged  = "replaced"    // its function changed or was deleted
	retiredLoad     = "load_failed" // its code could not be loaded
	retiredShutdown = "shutdown"
	retiredCrash    = "crash"  // died in a call with no other reason
	retiredKilled   = "killed" // its deadline or cancellation struck as it answered
)

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
			Help: "Invocations that needed a new instance, by runtime, how it was had: snapshot (restored already loaded from an image taken after the function's load), prewarmed (a waiting sandbox got the code) or boot (a sandbox was started for the call), and why: scale_from_zero (no instance of the code was running or idle) or scale_out (all of them were busy).",
		}, []string{"runtime", "how", "reason"}),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_queued_calls_total",
			Help: "Calls that waited for a busy warm instance rather than start one, by outcome: pipelined (sent into a busy instance at once, to run after the calls ahead of it there), served (a busy instance took the call when it was done) or started (it started one after all).",
		}, []string{"outcome"}),
		retired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_instances_retired_total",
			Help: "Instances destroyed, by reason: idle (unused for the idle TTL), max_calls, memory (grew past its threshold), replaced (its function changed or was deleted), load_failed, shutdown, or why it died in a call (timeout, out_of_memory, pids_limit, crash, aborted, protocol_error, or killed: its deadline or cancellation struck as it answered).",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.invocations, m.duration, m.coldStarts, m.queued, m.retired, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "voltrun_warm_instances",
		Help: "Idle warm instances waiting for a call of their function.",
	}, func() float64 { return float64(e.Idle()) }), prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "voltrun_busy_instances",
		Help: "Instances serving a call, or starting for one.",
	}, func() float64 { return float64(e.Busy()) }))
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

func (m *metrics) coldStart(runtime core.Runtime, how, reason string) {
	m.coldStarts.WithLabelValues(string(runtime), how, reason).Inc()
}
