package usage

import (
	"slices"
	"strings"

	"github.com/voltrun/voltrun/internal/core"
)

// Policy is the operator's billing configuration: the plans, the plan of
// accounts without one, and who administers the platform.
type Policy struct {
	// Plans by name; they must include DefaultPlan.
	Plans map[string]core.Plan
	// DefaultPlan is the plan of accounts without one. Admins without one
	// get core.PlanUnlimited (when defined) instead.
	DefaultPlan string
	// AdminEmails are made admins. When empty, the first registered user
	// is made the admin instead.
	AdminEmails []string
}

// PlanOf returns the plan that applies to a: its own when set and still
// configured, else the default for its role.
func (p *Policy) PlanOf(a *core.Account) core.Plan {
	return p.Plans[p.PlanName(a.Plan, a.Role)]
}

// PlanName returns the name of the plan that applies to an account with
// this assigned plan ("" for none) and role.
func (p *Policy) PlanName(assigned string, role core.Role) string {
	if _, ok := p.Plans[assigned]; ok && assigned != "" {
		return assigned
	}
	if role == core.RoleAdmin {
		if _, ok := p.Plans[core.PlanUnlimited]; ok {
			return core.PlanUnlimited
		}
	}
	return p.DefaultPlan
}

// SortedPlans returns the plans in name order.
func (p *Policy) SortedPlans() []core.Plan {
	plans := make([]core.Plan, 0, len(p.Plans))
	for _, pl := range p.Plans {
		plans = append(plans, pl)
	}
	slices.SortFunc(plans, func(a, b core.Plan) int { return strings.Compare(a.Name, b.Name) })
	return plans
}
