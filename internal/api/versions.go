package api

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/bundle"
	"github.com/voltrun/voltrun/internal/core"
)

type publishRequest struct {
	Description string `json:"description"`
}

// versionView is a version with, for single reads, its text files.
type versionView struct {
	*core.Version
	Files       map[string]string `json:"files,omitempty"`
	BinaryFiles []string          `json:"binary_files,omitempty"`
}

func (s *Server) publishVersion(c *fiber.Ctx) error {
	var req publishRequest
	if len(c.Body()) > 0 {
		if err := decode(c, &req); err != nil {
			return err
		}
	}
	if len([]rune(req.Description)) > core.MaxDescription {
		return fieldError("description", "must be at most 256 characters")
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	v, err := s.store.PublishVersion(ctx, uid, f.ID, req.Description)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(versionView{Version: v})
}

func (s *Server) listVersions(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	vs, next, err := s.store.ListVersions(ctx, uid, f.ID, page)
	if err != nil {
		return err
	}
	items := make([]versionView, len(vs))
	for i := range vs {
		items[i] = versionView{Version: &vs[i]}
	}
	return c.JSON(list[versionView]{Items: items, NextCursor: next})
}

// versionParam reads the {n} path segment.
func versionParam(c *fiber.Ctx) (int, error) {
	n, ok := core.ParseVersion(c.Params("n"))
	if !ok {
		return 0, core.Errorf(core.CodeNotFound, "version %q not found: versions are numbered 1, 2, 3...", c.Params("n"))
	}
	return n, nil
}

func (s *Server) getVersion(c *fiber.Ctx) error {
	n, err := versionParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	v, err := s.store.Version(ctx, uid, f.ID, n)
	if err != nil {
		return err
	}
	text, binary, err := bundle.TextFiles(v.Code)
	if err != nil {
		return err
	}
	return c.JSON(versionView{Version: v, Files: text, BinaryFiles: binary})
}

func (s *Server) deleteVersion(c *fiber.Ctx) error {
	n, err := versionParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteVersion(ctx, uid, f.ID, n); err != nil {
		return err
	}
	s.cache.Forget(f.ID)
	if s.deps.Retirer != nil {
		s.deps.Retirer.Forget(f.ID, strconv.Itoa(n))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type aliasRequest struct {
	Version     int                `json:"version"`
	Description string             `json:"description"`
	Routing     *core.AliasRouting `json:"routing"`
}

func (s *Server) putAlias(c *fiber.Ctx) error {
	var req aliasRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	name := c.Params("alias")
	fe := core.FieldErrors{}
	if !core.ValidAliasName(name) {
		fe.Add("alias", "must start with a letter, then letters, digits, - or _ (at most 63)")
	}
	if req.Version < 1 {
		fe.Add("version", "must be a published version number")
	}
	if r := req.Routing; r != nil {
		switch {
		case r.Version < 1:
			fe.Add("routing", "version must be a published version number")
		case r.Version == req.Version:
			fe.Add("routing", "version must differ from the alias's version")
		case r.Weight <= 0 || r.Weight >= 1:
			fe.Add("routing", "weight must be between 0 and 1 (exclusive): the share of calls sent to routing.version")
		}
	}
	if len([]rune(req.Description)) > core.MaxDescription {
		fe.Add("description", "must be at most 256 characters")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	a := &core.Alias{FunctionID: f.ID, Name: name, Version: req.Version, Description: req.Description, Routing: req.Routing}
	if err := s.store.PutAlias(ctx, uid, a); err != nil {
		return err
	}
	s.cache.Forget(f.ID)
	return c.JSON(a)
}

func (s *Server) listAliases(c *fiber.Ctx) error {
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	as, err := s.store.ListAliases(ctx, uid, f.ID)
	if err != nil {
		return err
	}
	return c.JSON(list[core.Alias]{Items: as})
}

func (s *Server) getAlias(c *fiber.Ctx) error {
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	a, err := s.store.Alias(ctx, uid, f.ID, c.Params("alias"))
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) deleteAlias(c *fiber.Ctx) error {
	ctx := c.UserContext()
	uid := principalOf(c).UserID
	f, err := s.pathFunction(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAlias(ctx, uid, f.ID, c.Params("alias")); err != nil {
		return err
	}
	s.cache.Forget(f.ID)
	return c.SendStatus(fiber.StatusNoContent)
}

// resolve returns the function as it runs under qualifier ("" or $LATEST
// for the draft, a version number, or an alias, which picks its version
// for this call by its routing weight) and the version's name.
func (s *Server) resolve(c *fiber.Ctx, f *core.Function, qualifier string) (*core.Function, string, error) {
	if qualifier == "" || qualifier == core.LatestVersion {
		return f, core.LatestVersion, nil
	}
	ctx := c.UserContext()
	n, isNumber := core.ParseVersion(qualifier)
	if !isNumber {
		if !core.ValidAliasName(qualifier) || strings.HasPrefix(qualifier, "$") {
			return nil, "", core.Errorf(core.CodeNotFound, "version or alias %q not found", qualifier)
		}
		a, err := s.cache.Alias(ctx, f.OwnerID, f.ID, qualifier)
		if core.IsNotFound(err) {
			return nil, "", core.Errorf(core.CodeNotFound, "version or alias %q not found", qualifier)
		}
		if err != nil {
			return nil, "", err
		}
		n = a.Pick(rand.Float64()) //nolint:gosec // traffic splitting needs no unpredictability
	}
	v, err := s.cache.Version(ctx, f.OwnerID, f.ID, n)
	if core.IsNotFound(err) {
		return nil, "", core.Errorf(core.CodeNotFound, "version %d not found", n)
	}
	if err != nil {
		return nil, "", err
	}
	at := v.Apply(*f)
	return &at, strconv.Itoa(n), nil
}
