package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
)

// Plan is what an account may use. A zero limit means no limit.
type Plan struct {
	Name string `json:"name"`
	// MonthlyInvocations caps executions per calendar month (UTC).
	MonthlyInvocations int64 `json:"monthly_invocations"`
	// MonthlyGBSeconds caps memory × billed time per calendar month (UTC).
	MonthlyGBSeconds float64 `json:"monthly_gb_seconds"`
	// MaxConcurrent caps the account's executions running at once.
	MaxConcurrent int `json:"max_concurrent_executions"`
	// MaxFunctions caps how many functions the account may have.
	MaxFunctions int `json:"max_functions"`
	// MaxMemoryMB caps a function's memory_mb.
	MaxMemoryMB int `json:"max_memory_mb"`
	// RequestsPerSecond and Burst rate-limit the account's invoke requests
	// (a token bucket: Burst tokens, refilled at RequestsPerSecond).
	RequestsPerSecond float64 `json:"requests_per_second"`
	Burst             int     `json:"burst"`
	// KeyRequestsPerSecond and KeyBurst do the same per API key.
	KeyRequestsPerSecond float64 `json:"key_requests_per_second"`
	KeyBurst             int     `json:"key_burst"`
}

// Names of the built-in plans. Accounts without a plan get the configured
// default plan (PlanFree unless changed); operators (admins) without one
// get PlanUnlimited.
const (
	PlanFree      = "free"
	PlanUnlimited = "unlimited"
)

// BuiltinPlans are the plans every server knows; configured plans are
// added to them and may redefine them.
func BuiltinPlans() map[string]Plan {
	return map[string]Plan{
		PlanFree: {
			Name: PlanFree, MonthlyInvocations: 1_000_000, MonthlyGBSeconds: 400_000,
			MaxConcurrent: 50, MaxFunctions: 100, MaxMemoryMB: 1024,
			RequestsPerSecond: 100, Burst: 200, KeyRequestsPerSecond: 50, KeyBurst: 100,
		},
		PlanUnlimited: {Name: PlanUnlimited},
	}
}

// MonthlyMBMS is MonthlyGBSeconds in MB·ms, 0 when unlimited.
func (p *Plan) MonthlyMBMS() int64 {
	return int64(math.Round(p.MonthlyGBSeconds * MBMSPerGBSecond))
}

var planName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// ValidPlanName reports whether name can name a plan.
func ValidPlanName(name string) bool { return planName.MatchString(name) }

// ParsePlans reads plans as a JSON object of name → limits, e.g.
// {"pro": {"monthly_invocations": 10000000, "max_concurrent_executions": 200}},
// and returns them added to the built-in plans. Unknown fields, negative
// limits and bad names are refused; a rate without a burst gets a burst of
// twice the rate (at least 1).
func ParsePlans(data []byte) (map[string]Plan, error) {
	plans := BuiltinPlans()
	if len(bytes.TrimSpace(data)) == 0 {
		return plans, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("plans must be a JSON object of plan name to limits: %w", err)
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p, err := parsePlan(name, raw[name])
		if err != nil {
			return nil, err
		}
		plans[name] = p
	}
	return plans, nil
}

func parsePlan(name string, raw json.RawMessage) (Plan, error) {
	if !ValidPlanName(name) {
		return Plan{}, fmt.Errorf("plan name %q must match ^[a-z][a-z0-9_-]{0,31}$", name)
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Plan{}, fmt.Errorf("plan %q: %w", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Plan{}, fmt.Errorf("plan %q: data after the object", name)
	}
	if p.Name != "" && p.Name != name {
		return Plan{}, fmt.Errorf("plan %q: name %q differs from its key", name, p.Name)
	}
	p.Name = name
	if p.MonthlyInvocations < 0 || p.MonthlyGBSeconds < 0 || p.MaxConcurrent < 0 || p.MaxFunctions < 0 ||
		p.MaxMemoryMB < 0 || p.RequestsPerSecond < 0 || p.Burst < 0 || p.KeyRequestsPerSecond < 0 || p.KeyBurst < 0 ||
		math.IsInf(p.MonthlyGBSeconds, 0) || math.IsNaN(p.MonthlyGBSeconds) {
		return Plan{}, fmt.Errorf("plan %q: limits must be zero (no limit) or positive", name)
	}
	if p.MonthlyGBSeconds > math.MaxInt64/MBMSPerGBSecond/2 {
		return Plan{}, fmt.Errorf("plan %q: monthly_gb_seconds is too large", name)
	}
	if p.MaxMemoryMB > 0 && p.MaxMemoryMB < MinMemoryMB {
		return Plan{}, fmt.Errorf("plan %q: max_memory_mb must be at least %d", name, MinMemoryMB)
	}
	p.Burst = defaultBurst(p.RequestsPerSecond, p.Burst)
	p.KeyBurst = defaultBurst(p.KeyRequestsPerSecond, p.KeyBurst)
	return p, nil
}

func defaultBurst(rate float64, burst int) int {
	if rate == 0 || burst > 0 {
		return burst
	}
	return max(1, int(math.Ceil(2*rate)))
}

// AccountStore keeps what billing needs to know about accounts: their plan
// and role, and how many functions they have.
type AccountStore interface {
	// Account finds a user with their plan.
	Account(ctx context.Context, id string) (*Account, error)
	// ListAccounts lists accounts oldest first.
	ListAccounts(ctx context.Context, p Page) (accounts []Account, next string, err error)
	// SetPlan assigns a plan to a user ("" for the default plan).
	SetPlan(ctx context.Context, userID, plan string) error
	// PromoteAdmins makes admins of the users with these emails, and, when
	// firstUser is set and no user is an admin yet, of the oldest user. It
	// returns how many users it changed.
	PromoteAdmins(ctx context.Context, emails []string, firstUser bool) (int, error)
	// CountFunctions counts an owner's functions.
	CountFunctions(ctx context.Context, ownerID string) (int, error)
}

// Account is a user as billing sees it: with the name of their plan, ""
// for the default plan.
type Account struct {
	User
	Plan string `json:"plan"`
}
