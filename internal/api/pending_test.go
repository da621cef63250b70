package api

import (
	"strings"
	"testing"

	"github.com/voltrun/voltrun/internal/core"
)

// TestWithPending: a list shows each execution once, in its latest state,
// under the status asked for.
func TestWithPending(t *testing.T) {
	rec := func(id string, status core.ExecStatus, attempts int) core.Execution {
		return core.Execution{ID: id, Status: status, Attempts: attempts, Trigger: core.TriggerAsync, Logs: "x"}
	}
	show := func(es []core.Execution) string {
		var b strings.Builder
		for _, e := range es {
			b.WriteString(e.ID + ":" + string(e.Status) + " ")
			if e.Logs != "" {
				t.Errorf("listed %s with its logs", e.ID)
			}
		}
		return strings.TrimSpace(b.String())
	}
	tests := []struct {
		name            string
		stored, pending []core.Execution
		status          core.ExecStatus
		want            string
	}{
		{
			"pending only, newest first", nil,
			[]core.Execution{rec("b", core.ExecSucceeded, 1), rec("c", core.ExecRunning, 1)},
			"", "c:running b:succeeded",
		},
		{
			"pending is later",
			[]core.Execution{rec("a", core.ExecFailed, 2)},
			[]core.Execution{rec("a", core.ExecDeadLettered, 3)},
			"", "a:dead_lettered",
		},
		{
			"stale stored status hidden",
			[]core.Execution{rec("a", core.ExecFailed, 2)},
			[]core.Execution{rec("a", core.ExecDeadLettered, 3)},
			core.ExecFailed, "",
		},
		{
			"stored is later",
			[]core.Execution{rec("a", core.ExecSucceeded, 1)},
			[]core.Execution{rec("a", core.ExecQueued, 0)},
			"", "a:succeeded",
		},
		{
			"filter on pending",
			[]core.Execution{rec("a", core.ExecSucceeded, 1)},
			[]core.Execution{rec("b", core.ExecRunning, 1), rec("c", core.ExecSucceeded, 1)},
			core.ExecSucceeded, "c:succeeded a:succeeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.stored {
				tt.stored[i].Logs = ""
			}
			if got := show(withPending(tt.stored, tt.pending, tt.status)); got != tt.want {
				t.Fatalf("listed %q, want %q", got, tt.want)
			}
		})
	}
}
