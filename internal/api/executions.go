package api

import (
	"context"
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
	e, err := s.execution(c.UserContext(), principalOf(c).UserID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(viewOf(e, true))
}

// execution finds an owner's execution in its latest state: pending on
// this node or stored. A pending "queued" record may be older than the
// stored one (a worker on another node has run the call), so then both are
// read and the later kept.
func (s *Server) execution(ctx context.Context, ownerID, id string) (*core.Execution, error) {
	var pending *core.Execution
	if s.deps.Pending != nil {
		if e, ok := s.deps.Pending(id); ok && e.OwnerID == ownerID {
			if e.Status != core.ExecQueued {
				return &e, nil
			}
			pending = &e
		}
	}
	stored, err := s.store.Execution(ctx, ownerID, id)
	switch {
	case pending != nil && (err != nil || pending.Supersedes(stored)):
		return pending, nil
	case err != nil:
		return nil, err
	}
	return stored, nil
}

// withPending merges the records not yet written into the first page, once
// each, newest first (ids are time-ordered). Of a record both pending and
// stored, the later state is listed (core.Execution.Supersedes), when it has
// the status asked for. At most room pending-only records are added, the
// newest: the caller asked the store for that many fewer, so the page holds
// no more than its limit and the store's cursor still follows its last
// stored record.
func withPending(stored, pending []core.Execution, status core.ExecStatus, room int) []core.Execution {
	if len(pending) == 0 {
		return stored
	}
	latest := make(map[string]core.Execution, len(pending))
	for _, e := range pending {
		e.Input, e.Output, e.Logs = nil, nil, ""
		latest[e.ID] = e
	}
	out := make([]core.Execution, 0, len(pending)+len(stored))
	for _, e := range stored {
		if p, ok := latest[e.ID]; ok && !e.Supersedes(&p) {
			continue // the pending state is later
		}
		delete(latest, e.ID)
		out = append(out, e)
	}
	added := make([]core.Execution, 0, len(latest))
	for _, e := range latest {
		if status == "" || e.Status == status {
			added = append(added, e)
		}
	}
	slices.SortFunc(added, newestFirst)
	out = append(out, added[:min(len(added), room)]...)
	slices.SortStableFunc(out, newestFirst)
	return out
}

func newestFirst(a, b core.Execution) int { return strings.Compare(b.ID, a.ID) }

// pendingRoom is how many of a first page's limit places pending records
// may take: one per record of the status asked for, leaving the store one
// place at least, so that its cursor moves on.
func pendingRoom(pending []core.Execution, status core.ExecStatus, limit int) int {
	n := 0
	for _, e := range pending {
		if status == "" || e.Status == status {
			n++
		}
	}
	return min(n, limit-1)
}

func (s *Server) listExecutions(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	status := core.ExecStatus(c.Query("status"))
	if status != "" && !core.ValidExecStatus(status) {
		return fieldError("status", "must be one of queued, running, succeeded, failed, timeout, killed, dead_lettered")
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	// Pending records first, then the database: a record written in
	// between is then in the one or the other.
	var pending []core.Execution
	limit, room := page.Limit, 0
	if page.Cursor == "" && s.deps.PendingOf != nil {
		pending = s.deps.PendingOf(uid, f.ID)
		room = pendingRoom(pending, status, limit)
		page.Limit -= room
	}
	execs, next, err := s.store.ListExecutions(ctx, uid, core.ExecutionFilter{FunctionID: f.ID, Status: status}, page)
	if err != nil {
		return err
	}
	if next == "" { // no stored record follows: pending ones may fill the page
		room = limit - len(execs)
	}
	execs = withPending(execs, pending, status, room)
	items := make([]executionView, len(execs))
	for i := range execs {
		items[i] = viewOf(&execs[i], false)
	}
	return c.JSON(list[executionView]{Items: items, NextCursor: next})
}
