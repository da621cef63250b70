package api

import (
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/webhook"
)

type createWebhookRequest struct {
	URL         string           `json:"url"`
	Events      []core.EventType `json:"events"`
	AllAccounts bool             `json:"all_accounts"`
}

// createdWebhook is the answer to POST /api/webhooks: the only time the
// signing secret is shown.
type createdWebhook struct {
	*core.Webhook
	Secret string `json:"secret"`
}

// createWebhook serves POST /api/webhooks. all_accounts (the operator's
// webhook for every account's events) needs an admin.
func (s *Server) createWebhook(c *fiber.Ctx) error {
	var req createWebhookRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	p := principalOf(c)
	fe := core.FieldErrors{}
	if len(req.Events) == 0 {
		fe.Add("events", "must list at least one of usage.report, invocation.failed, quota.exceeded")
	}
	events := make([]core.EventType, 0, len(req.Events))
	for _, ev := range req.Events {
		switch {
		case !core.ValidEventType(ev):
			fe.Add("events", fmt.Sprintf("unknown event %q: use usage.report, invocation.failed or quota.exceeded", ev))
		case !slices.Contains(events, ev):
			events = append(events, ev)
		}
	}
	if req.URL == "" {
		fe.Add("url", "is required")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if err := s.deps.HookGuard.CheckURL(ctx, req.URL); err != nil {
		return err
	}
	if req.AllAccounts {
		u, err := s.store.UserByID(ctx, p.UserID)
		if err != nil {
			return err
		}
		if u.Role != core.RoleAdmin || !p.Allows(core.ScopeAdmin) {
			return core.Errorf(core.CodeForbidden, "only an admin (the operator), with the admin scope, may register a webhook for all accounts")
		}
	}
	existing, _, err := s.store.ListWebhooks(ctx, p.UserID, core.Page{Limit: core.MaxWebhooks})
	if err != nil {
		return err
	}
	if len(existing) >= core.MaxWebhooks {
		return core.Errorf(core.CodeConflict, "an account may have at most %d webhooks; delete one first", core.MaxWebhooks)
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return err
	}
	w := &core.Webhook{OwnerID: p.UserID, URL: req.URL, Events: events, AllAccounts: req.AllAccounts, Secret: secret}
	if err := s.store.CreateWebhook(ctx, w); err != nil {
		return err
	}
	c.Location("/api/webhooks/" + w.ID)
	return c.Status(fiber.StatusCreated).JSON(createdWebhook{Webhook: w, Secret: secret})
}

// listWebhooks serves GET /api/webhooks.
func (s *Server) listWebhooks(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	hooks, next, err := s.store.ListWebhooks(c.UserContext(), principalOf(c).UserID, page)
	if err != nil {
		return err
	}
	return c.JSON(list[core.Webhook]{Items: hooks, NextCursor: next})
}

// getWebhook serves GET /api/webhooks/{id}.
func (s *Server) getWebhook(c *fiber.Ctx) error {
	w, err := s.store.Webhook(c.UserContext(), principalOf(c).UserID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(w)
}

// deleteWebhook serves DELETE /api/webhooks/{id}; pending deliveries go
// with it.
func (s *Server) deleteWebhook(c *fiber.Ctx) error {
	if err := s.store.DeleteWebhook(c.UserContext(), principalOf(c).UserID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// listDeliveries serves GET /api/webhooks/{id}/deliveries: the delivery
// log, newest first.
func (s *Server) listDeliveries(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	ds, next, err := s.store.ListDeliveries(c.UserContext(), principalOf(c).UserID, c.Params("id"), page)
	if err != nil {
		return err
	}
	return c.JSON(list[core.Delivery]{Items: ds, NextCursor: next})
}
