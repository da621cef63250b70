package queue

import "github.com/prometheus/client_golang/prometheus"

// metrics are the queue's Prometheus series.
type metrics struct {
	logLines *prometheus.CounterVec // by result: published, dropped, unwatched
	enqueued prometheus.Counter
	runs     *prometheus.CounterVec // async runs by outcome
}

// Outcomes of one async run, for metrics.
const (
	outcomeSucceeded    = "succeeded"
	outcomeRetried      = "retried"
	outcomeDeadLettered = "dead_lettered"
	outcomeRequeued     = "requeued" // the worker stopped or the platform failed; run again later
)

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		logLines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_live_log_lines_total",
			Help: "Live log lines and ends, by result (published, dropped under overload, or unwatched: no subscriber on the embedded server).",
		}, []string{"result"}),
		enqueued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "voltrun_async_enqueued_total",
			Help: "Asynchronous invocations accepted into the work queue.",
		}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "voltrun_async_runs_total",
			Help: "Asynchronous invocation runs by outcome: succeeded, retried, dead_lettered, requeued.",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.logLines, m.enqueued, m.runs)
	return m
}
