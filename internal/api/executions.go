package api

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/core"
)

// executionView is an execution as the API shows it; input and output are
// JSON when they were kept whole, else the kept prefix as a string.
type executionView struct {
	*core.Execution
	Input  json.RawMessage `json:"input,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
}

func viewOf(e *core.Execution, full bool) executionView {
	v := executionView{Execution: e}
	if full {
		v.Input = rawOrString(e.Input, e.InputTruncated)
		v.Output = rawOrString(e.Output, e.OutputTruncated)
	}
	return v
}

func rawOrString(b []byte, truncated bool) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if !truncated && json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

func (s *Server) getExecution(c *fiber.Ctx) error {
	uid := principalOf(c).UserID
	id := c.Params("id")
	if e, ok := s.deps.Pending(id); ok && e.OwnerID == uid {
		return c.JSON(viewOf(&e, true))
	}
	e, err := s.store.Execution(c.UserContext(), uid, id)
	if err != nil {
		return err
	}
	return c.JSON(viewOf(e, true))
}

// withPending puts the records not yet written (the newest: ids are
// time-ordered) in front of the first page, once each. The page may then
// hold more than limit items: cutting stored ones would make the next
// cursor skip them.
func withPending(stored, pending []core.Execution, status core.ExecStatus) []core.Execution {
	if len(pending) == 0 {
		return stored
	}
	seen := map[string]bool{}
	out := make([]core.Execution, 0, len(pending)+len(stored))
	for _, e := range pending {
		if status == "" || e.Status == status {
			e.Input, e.Output, e.Logs = nil, nil, ""
			out = append(out, e)
			seen[e.ID] = true
		}
	}
	for _, e := range stored {
		if !seen[e.ID] {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b core.Execution) int { return strings.Compare(b.ID, a.ID) })
	return out
}

func (s *Server) listExecutions(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	status := core.ExecStatus(c.Query("status"))
	if status != "" && !core.ValidExecStatus(status) {
		return fieldError("status", "must be one of queued, running, succeeded, failed, timeout, killed")
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.store.Function(ctx, uid, c.Params("id"))
	if err != nil {
		return err
	}
	execs, next, err := s.store.ListExecutions(ctx, uid, core.ExecutionFilter{FunctionID: f.ID, Status: status}, page)
	if err != nil {
		return err
	}
	if page.Cursor == "" && s.deps.PendingOf != nil {
		execs = withPending(execs, s.deps.PendingOf(uid, f.ID), status)
	}
	items := make([]executionView, len(execs))
	for i := range execs {
		items[i] = viewOf(&execs[i], false)
	}
	return c.JSON(list[executionView]{Items: items, NextCursor: next})
}
