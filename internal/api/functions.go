package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
)

// functionView is a function as the API shows it: its configuration and,
// when asked for one function, its draft code.
type functionView struct {
	*core.Function
	Version     string            `json:"version"`
	Files       map[string]string `json:"files,omitempty"`
	BinaryFiles []string          `json:"binary_files,omitempty"`
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
	return s.writeFunction(c, fiber.StatusCreated, f)
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
	items := make([]functionView, len(fns))
	for i := range fns {
		items[i] = functionView{Function: &fns[i], Version: "$LATEST"}
	}
	return c.JSON(list[functionView]{Items: items, NextCursor: next})
}

func (s *Server) getFunction(c *fiber.Ctx) error {
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	return s.writeFunction(c, fiber.StatusOK, f)
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
	return s.writeFunction(c, fiber.StatusOK, f)
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
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) writeFunction(c *fiber.Ctx, status int, f *core.Function) error {
	v := functionView{Function: f, Version: "$LATEST"}
	if f.Code != nil {
		text, binary, err := bundle.TextFiles(f.Code)
		if err != nil {
			return err
		}
		v.Files, v.BinaryFiles = text, binary
	}
	return c.Status(status).JSON(v)
}
