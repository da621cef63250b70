package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
)

// functionView is a function as the API shows it: its configuration, its
// latest execution's start and status (null when it has none) and, when
// asked for one function, its draft code.
type functionView struct {
	*core.Function
	Version       string            `json:"version"`
	Files         map[string]string `json:"files,omitempty"`
	BinaryFiles   []string          `json:"binary_files,omitempty"`
	LastInvokedAt *time.Time        `json:"last_invoked_at"`
	LastStatus    *core.ExecStatus  `json:"last_status"`
}

// withLast sets v's last invocation from last, if any.
func (v *functionView) withLast(last core.LastInvocation, ok bool) {
	if ok {
		at, status := last.At, last.Status
		v.LastInvokedAt, v.LastStatus = &at, &status
	}
}

// lastInvocations returns the latest execution of each of the owner's
// functions in ids that has one: the stored one, or the one recorded on
// this node and not yet written when that is later (a call just made), as
// the executions list shows them. Pending records are read first, then
// the database: a record written in between is then in the one or the
// other.
func (s *Server) lastInvocations(ctx context.Context, ownerID string, ids []string) (map[string]core.LastInvocation, error) {
	var pending []core.Execution
	if s.deps.PendingOf != nil {
		for _, id := range ids {
			pending = append(pending, s.deps.PendingOf(ownerID, id)...)
		}
	}
	last, err := s.store.LastInvocations(ctx, ownerID, ids)
	if err != nil {
		return nil, err
	}
	for i := range pending {
		e := &pending[i]
		cur, ok := last[e.FunctionID]
		switch {
		case ok && e.ID < cur.ExecutionID:
			continue
		case ok && e.ID == cur.ExecutionID && !e.Supersedes(&core.Execution{Attempts: cur.Attempts, Status: cur.Status}):
			continue
		}
		last[e.FunctionID] = core.LastInvocation{ExecutionID: e.ID, Status: e.Status, Attempts: e.Attempts, At: invokedAt(e)}
	}
	return last, nil
}

// invokedAt is when a pending execution was invoked: when it started, or,
// queued and not yet started, when it was queued (the time in its UUIDv7).
func invokedAt(e *core.Execution) time.Time {
	if !e.StartedAt.IsZero() {
		return e.StartedAt.UTC()
	}
	if id, err := uuid.Parse(e.ID); err == nil && id.Version() == 7 {
		return time.Unix(id.Time().UnixTime()).UTC()
	}
	return time.Now().UTC()
}

// pathFunction is the caller's function named (by id or name) in the {id}
// path segment; another owner's answers CodeNotFound.
func (s *Server) pathFunction(c *fiber.Ctx) (*core.Function, error) {
	return s.store.Function(c.UserContext(), principalOf(c).UserID, c.Params("id"))
}

func (s *Server) createFunction(c *fiber.Ctx) error {
	var req functionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	f := &core.Function{OwnerID: principalOf(c).UserID}
	if err := req.apply(f, true); err != nil {
		return err
	}
	ctx := c.UserContext()
	create := func() error { return s.store.CreateFunction(ctx, f) }
	if err := s.guardFunction(ctx, f.OwnerID, f.MemoryMB, true, create); err != nil {
		return err
	}
	// A new function has not been invoked: no need to look.
	return s.writeFunction(c, fiber.StatusCreated, f, false)
}

func (s *Server) listFunctions(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	fns, next, err := s.store.ListFunctions(c.UserContext(), principalOf(c).UserID, page)
	if err != nil {
		return err
	}
	ids := make([]string, len(fns))
	for i := range fns {
		ids[i] = fns[i].ID
	}
	last, err := s.lastInvocations(c.UserContext(), principalOf(c).UserID, ids)
	if err != nil {
		return err
	}
	items := make([]functionView, len(fns))
	for i := range fns {
		items[i] = functionView{Function: &fns[i], Version: "$LATEST"}
		l, ok := last[fns[i].ID]
		items[i].withLast(l, ok)
	}
	return c.JSON(list[functionView]{Items: items, NextCursor: next})
}

func (s *Server) getFunction(c *fiber.Ctx) error {
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	return s.writeFunction(c, fiber.StatusOK, f, true)
}

// getFunctionCode answers the draft code as the canonical zip archive.
func (s *Server) getFunctionCode(c *fiber.Ctx) error {
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+f.Name+`.zip"`)
	c.Set("X-Code-Sha256", f.CodeSHA256)
	return c.Send(f.Code)
}

func (s *Server) updateFunction(c *fiber.Ctx) error {
	var req functionRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	f, err := s.store.Function(ctx, principalOf(c).UserID, c.Params("id"))
	if err != nil {
		return err
	}
	memoryBefore := f.MemoryMB
	if err := req.apply(f, false); err != nil {
		return err
	}
	memory := 0 // unchanged memory is not checked against the plan again
	if f.MemoryMB != memoryBefore {
		memory = f.MemoryMB
	}
	update := func() error { return s.store.UpdateFunction(ctx, f) }
	if err := s.guardFunction(ctx, f.OwnerID, memory, false, update); err != nil {
		return err
	}
	s.cache.Forget(f.ID)
	if s.deps.Retirer != nil {
		s.deps.Retirer.Retire(f)
	}
	return s.writeFunction(c, fiber.StatusOK, f, true)
}

func (s *Server) deleteFunction(c *fiber.Ctx) error {
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteFunction(ctx, uid, f.ID); err != nil {
		return err
	}
	s.cache.Forget(f.ID)
	if s.deps.Retirer != nil {
		s.deps.Retirer.Forget(f.ID, "")
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// writeFunction answers f with its draft code and, when invoked may be
// true, its last invocation.
func (s *Server) writeFunction(c *fiber.Ctx, status int, f *core.Function, invoked bool) error {
	v := functionView{Function: f, Version: "$LATEST"}
	if invoked {
		last, err := s.lastInvocations(c.UserContext(), f.OwnerID, []string{f.ID})
		if err != nil {
			return err
		}
		l, ok := last[f.ID]
		v.withLast(l, ok)
	}
	if f.Code != nil {
		text, binary, err := bundle.TextFiles(f.Code)
		if err != nil {
			return err
		}
		v.Files, v.BinaryFiles = text, binary
	}
	return c.Status(status).JSON(v)
}
