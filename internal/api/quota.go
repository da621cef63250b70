package api

import (
	"context"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
)

// throttle gates an invoke request of f before any work is done for it:
// the owner's monthly quotas and request rate, and the API key's rate
// (usage.Quotas.Throttle). The owner is billed, whoever calls.
func (s *Server) throttle(ctx context.Context, f *core.Function) error {
	if s.deps.Quotas == nil {
		return nil
	}
	keyID := ""
	if p := auth.FromContext(ctx); p != nil && p.Key != nil {
		keyID = p.Key.ID
	}
	return s.deps.Quotas.Throttle(ctx, f.OwnerID, keyID)
}

// guardFunction runs save if a function of ownerID fits the owner's plan:
// memoryMB (0 when unchanged) within its memory limit and, when adding,
// one more function within its function limit.
func (s *Server) guardFunction(ctx context.Context, ownerID string, memoryMB int, adding bool, save func() error) error {
	if s.deps.Quotas == nil {
		return save()
	}
	return s.deps.Quotas.GuardFunction(ctx, ownerID, memoryMB, adding, save)
}

// promote applies the admin policy to a new account (the first user, or
// configured emails, become admins). A failure is logged, not fatal: the
// account exists, and the policy is applied again at start-up.
func (s *Server) promote(ctx context.Context, u *core.User) {
	if s.deps.Quotas == nil {
		return
	}
	admin, err := s.deps.Quotas.PromoteAdmins(ctx, u.ID)
	if err != nil {
		s.log.Warn("apply the admin policy to a new account", zap.String("user_id", u.ID), zap.Error(err))
		return
	}
	if admin {
		u.Role = core.RoleAdmin
	}
}
