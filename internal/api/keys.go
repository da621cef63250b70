package api

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
)

type createKeyRequest struct {
	Name      string       `json:"name"`
	Scopes    []core.Scope `json:"scopes"`
	ExpiresAt *time.Time   `json:"expires_at"`
}

type createdKey struct {
	*core.APIKey
	Key string `json:"key"`
}

func (s *Server) createKey(c *fiber.Ctx) error {
	var req createKeyRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	p := principalOf(c)
	req.Name = strings.TrimSpace(req.Name)
	fe := core.FieldErrors{}
	if req.Name == "" || utf8.RuneCountInString(req.Name) > 100 {
		fe.Add("name", "is required, at most 100 characters")
	}
	if len(req.Scopes) == 0 {
		fe.Add("scopes", "must list at least one scope")
	}
	seen := map[core.Scope]bool{}
	scopes := make([]core.Scope, 0, len(req.Scopes))
	for _, sc := range req.Scopes {
		switch {
		case !core.ValidScope(sc):
			fe.Add("scopes", "unknown scope "+string(sc))
		case !p.Allows(sc):
			// A key can mint keys, but never with more power than itself.
			fe.Add("scopes", "cannot grant "+string(sc)+": the key making this request lacks it")
		case !seen[sc]:
			seen[sc] = true
			scopes = append(scopes, sc)
		}
	}
	if req.ExpiresAt != nil {
		if !req.ExpiresAt.After(time.Now()) {
			fe.Add("expires_at", "must be in the future")
		}
		utc := req.ExpiresAt.UTC()
		req.ExpiresAt = &utc
	}
	if err := fe.Err(); err != nil {
		return err
	}
	secret, prefix, hash, err := auth.NewKeySecret()
	if err != nil {
		return err
	}
	k := &core.APIKey{UserID: p.UserID, Name: req.Name, Prefix: prefix, Hash: hash, Scopes: scopes, ExpiresAt: req.ExpiresAt}
	if err := s.store.CreateKey(c.UserContext(), k); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdKey{APIKey: k, Key: secret})
}

func (s *Server) listKeys(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	keys, next, err := s.store.ListKeys(c.UserContext(), principalOf(c).UserID, page)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []core.APIKey{}
	}
	for i := range keys {
		if t, ok := s.keyUse.Pending(keys[i].ID); ok && (keys[i].LastUsedAt == nil || t.After(*keys[i].LastUsedAt)) {
			t = t.UTC()
			keys[i].LastUsedAt = &t
		}
	}
	return c.JSON(list[core.APIKey]{Items: keys, NextCursor: next})
}

func (s *Server) deleteKey(c *fiber.Ctx) error {
	if err := s.store.DeleteKey(c.UserContext(), principalOf(c).UserID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
