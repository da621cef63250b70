package usage_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/store"
	"github.com/voltrun/voltrun/internal/usage"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// openStore opens a real SQLite store for t.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), store.Options{DataDir: t.TempDir(), Logger: zaptest.NewLogger(t).Named("db")})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fixture is a store with one account on plan "test" and one function.
type fixture struct {
	store *store.Store
	q     *usage.Quotas
	clock *clock
	user  *core.User
	fn    *core.Function
}

func newFixture(t testing.TB, plan core.Plan, at time.Time) *fixture {
	t.Helper()
	s := openStore(t)
	plan.Name = "test"
	plans := core.BuiltinPlans()
	plans["test"] = plan
	clk := &clock{t: at}
	q := usage.New(usage.Options{
		Store:  s,
		Policy: usage.Policy{Plans: plans, DefaultPlan: "test"},
		Log:    zaptest.NewLogger(t),
		Now:    clk.Now,
	})
	f := &fixture{store: s, q: q, clock: clk}
	f.user = f.newUser(t, "owner@example.com")
	f.fn = f.newFunction(t, f.user.ID, "fn")
	return f
}

func (f *fixture) newUser(t testing.TB, email string) *core.User {
	t.Helper()
	u := &core.User{Email: email, Name: "Owner", PasswordHash: "x"}
	if err := f.store.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) newFunction(t testing.TB, ownerID, name string) *core.Function {
	t.Helper()
	fn := &core.Function{
		OwnerID: ownerID, Name: name, Runtime: core.RuntimeNode, Handler: "index.handler",
		MemoryMB: 256, TimeoutMS: 1000, MaxConcurrency: 10, Code: []byte("zip"),
	}
	if err := f.store.CreateFunction(t.Context(), fn); err != nil {
		t.Fatal(err)
	}
	return fn
}

// done is a finished execution of fn: what the engine releases with.
func done(fn *core.Function, billedMS int64, at time.Time) *core.Execution {
	return &core.Execution{
		ID: uuid.NewString(), FunctionID: fn.ID, OwnerID: fn.OwnerID, FunctionName: fn.Name, Trigger: "api",
		Status: core.ExecSucceeded, MemoryMB: fn.MemoryMB, DurationMS: billedMS, BilledMS: billedMS,
		StartedAt: at, FinishedAt: at,
	}
}

func wantCode(t *testing.T, err error, code core.Code) *core.Error {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	return e
}
