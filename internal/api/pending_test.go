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
			if got := show(withPending(tt.stored, tt.pending, tt.status, len(tt.pending))); got != tt.want {
				t.Fatalf("listed %q, want %q", got, tt.want)
			}
		})
	}
}

// TestListExecutionsHoldsLimit: with records pending on this node, the first
// page still holds no more than limit items, and following the cursor lists
// every stored record once.
func TestListExecutionsHoldsLimit(t *testing.T) {
	s := newTestServer(t)
	fn := s.addFunction("busy")
	rec := func(id string, status core.ExecStatus) core.Execution {
		return core.Execution{ID: id, FunctionID: fn.ID, OwnerID: s.owner, Status: status, Trigger: "api"}
	}
	for _, id := range []string{"e1", "e2", "e3", "e4", "e5"} {
		s.store.stored = append(s.store.stored, rec(id, core.ExecSucceeded))
	}
	s.store.pending = []core.Execution{rec("e6", core.ExecRunning), rec("e7", core.ExecRunning), rec("e8", core.ExecSucceeded)}
	var pages []string
	for cursor, first := "", true; first || cursor != ""; first = false {
		page := s.get(t, "/api/functions/"+fn.ID+"/executions?limit=4&cursor="+cursor, 200)
		var ids []string
		for _, it := range page["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		if len(ids) > 4 {
			t.Fatalf("a page of limit 4 holds %d items: %v", len(ids), ids)
		}
		pages = append(pages, strings.Join(ids, " "))
		cursor, _ = page["next_cursor"].(string)
	}
	if got := strings.Join(pages, " | "); got != "e8 e7 e6 e5 | e4 e3 e2 e1" {
		t.Errorf("pages %q", got)
	}
	page := s.get(t, "/api/functions/"+fn.ID+"/executions?limit=2&status=running", 200)
	if n := len(page["items"].([]any)); n != 2 {
		t.Errorf("limit 2 with two running records pending listed %d", n)
	}
}
