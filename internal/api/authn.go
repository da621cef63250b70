package api

import (
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
)

var errUnauthenticated = core.Errorf(core.CodeUnauthorized, "authentication required: send a login token or an API key")

// credential returns the bearer token or API key a request carries.
// Browsers cannot set headers on a WebSocket handshake, so an upgrade
// request may carry it as ?token= instead (and only an upgrade request:
// elsewhere credentials stay out of URLs).
func credential(c *fiber.Ctx) string {
	if k := c.Get("X-API-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if websocket.IsWebSocketUpgrade(c) {
		return strings.TrimSpace(c.Query("token"))
	}
	return ""
}

// authenticate resolves the request's credential to a principal, or answers
// 401. A key is looked up on every request so that revocation is immediate;
// its last use is recorded in memory and written in batches.
func (s *Server) authenticate(c *fiber.Ctx) error {
	p, err := s.principal(c, credential(c))
	if err != nil {
		return err
	}
	c.SetUserContext(auth.WithPrincipal(c.UserContext(), p))
	return c.Next()
}

func (s *Server) principal(c *fiber.Ctx, cred string) (*auth.Principal, error) {
	if cred == "" {
		return nil, errUnauthenticated
	}
	if !auth.IsKey(cred) {
		uid, err := s.tokens.Verify(cred)
		if err != nil {
			return nil, core.Errorf(core.CodeUnauthorized, "invalid or expired token")
		}
		return &auth.Principal{UserID: uid}, nil
	}
	key, err := s.store.KeyByHash(c.UserContext(), auth.HashKey(cred))
	if core.IsNotFound(err) {
		return nil, core.Errorf(core.CodeUnauthorized, "invalid or revoked API key")
	}
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if key.Expired(now) {
		return nil, core.Errorf(core.CodeUnauthorized, "API key expired")
	}
	s.keyUse.Mark(key.ID, now)
	return &auth.Principal{UserID: key.UserID, Key: key}, nil
}

// require answers 403 unless the principal holds scope.
func require(scope core.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !principalOf(c).Allows(scope) {
			return core.Errorf(core.CodeForbidden, "this API key lacks the %s scope", scope)
		}
		return c.Next()
	}
}

// principalOf returns the authenticated principal; only call it on routes
// behind authenticate.
func principalOf(c *fiber.Ctx) *auth.Principal {
	return auth.FromContext(c.UserContext())
}
