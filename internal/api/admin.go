package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/usage"
)

// requireAdmin lets only admins (the operator) through: a login token of
// an admin, or an admin's API key with the admin scope.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	p := principalOf(c)
	if !p.Allows(core.ScopeAdmin) {
		return core.Errorf(core.CodeForbidden, "this API key lacks the admin scope")
	}
	u, err := s.store.UserByID(c.UserContext(), p.UserID)
	if core.IsNotFound(err) {
		return core.Errorf(core.CodeUnauthorized, "the account behind this credential no longer exists")
	}
	if err != nil {
		return err
	}
	if u.Role != core.RoleAdmin {
		return core.Errorf(core.CodeForbidden, "only an admin (the operator) may use this endpoint")
	}
	return c.Next()
}

// accountUsage is one account's share of the operator's usage view.
type accountUsage struct {
	AccountID string `json:"account_id"`
	Email     string `json:"email"`
	Plan      string `json:"plan"`
	usage.Totals
}

// adminUsage serves GET /api/admin/usage: usage across accounts (or of
// one, ?account_id=), with each account's share (or each function's).
func (s *Server) adminUsage(c *fiber.Ctx) error {
	p, err := periodOf(c, time.Now().UTC())
	if err != nil {
		return err
	}
	q := core.UsageQuery{OwnerID: c.Query("account_id"), FunctionID: c.Query("function_id"), From: p.from, To: p.to}
	res, err := s.usageOf(c, p, q)
	if err != nil {
		return err
	}
	res.FunctionID = q.FunctionID
	ctx := c.UserContext()
	if q.OwnerID != "" && q.FunctionID == "" {
		groups, err := s.store.UsageBreakdown(ctx, q, core.ByFunction)
		if err != nil {
			return err
		}
		res.Functions = make([]functionUsage, len(groups))
		for i, g := range groups {
			res.Functions[i] = functionUsage{FunctionID: g.FunctionID, FunctionName: g.FunctionName, Totals: usage.TotalsOf(g.UsageTotals)}
		}
		return c.JSON(res)
	}
	groups, err := s.store.UsageBreakdown(ctx, q, core.ByAccount)
	if err != nil {
		return err
	}
	res.Accounts = make([]accountUsage, len(groups))
	for i, g := range groups {
		res.Accounts[i] = accountUsage{AccountID: g.OwnerID, Email: g.Email, Plan: s.planName(g.Plan, g.Role), Totals: usage.TotalsOf(g.UsageTotals)}
	}
	return c.JSON(res)
}

// planName is the plan in force for an assigned plan and role.
func (s *Server) planName(assigned string, role core.Role) string {
	if s.deps.Quotas == nil {
		return assigned
	}
	return s.deps.Quotas.Policy().PlanName(assigned, role)
}

// accountView is an account as the operator sees it.
type accountView struct {
	core.Account
	// Plan is the plan in force; AssignedPlan the one set ("" for the
	// default).
	Plan         string `json:"plan"`
	AssignedPlan string `json:"assigned_plan"`
}

func (s *Server) viewAccount(a *core.Account) accountView {
	return accountView{Account: *a, Plan: s.planName(a.Plan, a.Role), AssignedPlan: a.Plan}
}

// listAccounts serves GET /api/admin/accounts.
func (s *Server) listAccounts(c *fiber.Ctx) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	accounts, next, err := s.store.ListAccounts(c.UserContext(), page)
	if err != nil {
		return err
	}
	items := make([]accountView, len(accounts))
	for i := range accounts {
		items[i] = s.viewAccount(&accounts[i])
	}
	return c.JSON(list[accountView]{Items: items, NextCursor: next})
}

type setPlanRequest struct {
	Plan *string `json:"plan"`
}

// setAccountPlan serves PUT /api/admin/accounts/{id}/plan {"plan": name},
// "" restoring the default plan.
func (s *Server) setAccountPlan(c *fiber.Ctx) error {
	var req setPlanRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if req.Plan == nil {
		return fieldError("plan", `is required: a plan name, or "" for the default plan`)
	}
	if s.deps.Quotas == nil {
		return core.Errorf(core.CodeUnavailable, "plans are not enforced on this server")
	}
	ctx := c.UserContext()
	if err := s.deps.Quotas.SetPlan(ctx, c.Params("id"), *req.Plan); err != nil {
		if core.IsNotFound(err) {
			return core.Errorf(core.CodeNotFound, "account not found")
		}
		return err
	}
	a, err := s.store.Account(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(s.viewAccount(a))
}

// plansResponse answers GET /api/admin/plans.
type plansResponse struct {
	Items       []core.Plan `json:"items"`
	DefaultPlan string      `json:"default_plan"`
}

// listPlans serves GET /api/admin/plans: the configured plans.
func (s *Server) listPlans(c *fiber.Ctx) error {
	if s.deps.Quotas == nil {
		return c.JSON(plansResponse{Items: []core.Plan{}})
	}
	p := s.deps.Quotas.Policy()
	return c.JSON(plansResponse{Items: p.SortedPlans(), DefaultPlan: p.DefaultPlan})
}
