package api

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/auth"
	"github.com/voltrun/voltrun/internal/core"
)

// fakeStore keeps, in memory, what the usage and function routes read.
// The API may not import the real store (depguard), whose behaviour the
// storetest suite checks on both databases; this one meters as it is
// specified to: core.Metered executions, once each, in the UTC hour they
// started, durations in core.LatencyBucket's buckets. Any other core.Store
// method panics (the embedded interface is nil).
type fakeStore struct {
	core.Store

	mu        sync.Mutex
	metered   map[string]core.Execution // by id: the first metered record
	fns       []core.Function
	last      map[string]core.LastInvocation // by function id
	lastCalls int
	pending   []core.Execution
	stored    []core.Execution // what ListExecutions lists
}

func newFakeStore() *fakeStore {
	return &fakeStore{metered: map[string]core.Execution{}, last: map[string]core.LastInvocation{}}
}

// save meters execs as SaveExecutions does.
func (s *fakeStore) save(execs ...core.Execution) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range execs {
		if _, ok := s.metered[e.ID]; !ok && core.Metered(&e) {
			s.metered[e.ID] = e
		}
	}
}

// each calls fn with every metered execution q selects, and its hour.
func (s *fakeStore) each(q core.UsageQuery, fn func(e *core.Execution, hour time.Time)) {
	for _, e := range s.metered {
		hour := e.StartedAt.UTC().Truncate(time.Hour)
		if (q.OwnerID == "" || e.OwnerID == q.OwnerID) && (q.FunctionID == "" || e.FunctionID == q.FunctionID) &&
			!hour.Before(q.From) && hour.Before(q.To) {
			fn(&e, hour)
		}
	}
}

func (s *fakeStore) UsageSeries(_ context.Context, q core.UsageQuery) ([]core.UsagePoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sums := map[time.Time]core.UsageTotals{}
	s.each(q, func(e *core.Execution, hour time.Time) {
		t := sums[hour]
		t.Add(core.UsageOf(e))
		sums[hour] = t
	})
	points := []core.UsagePoint{}
	for _, h := range slices.SortedFunc(maps.Keys(sums), time.Time.Compare) {
		points = append(points, core.UsagePoint{Start: h, UsageTotals: sums[h]})
	}
	return points, nil
}

func (s *fakeStore) UsageLatency(_ context.Context, q core.UsageQuery) ([]core.LatencyPoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hists := map[time.Time]core.LatencyHistogram{}
	s.each(q, func(e *core.Execution, hour time.Time) {
		h := hists[hour]
		h.Add(e.DurationMS)
		hists[hour] = h
	})
	points := []core.LatencyPoint{}
	for _, h := range slices.SortedFunc(maps.Keys(hists), time.Time.Compare) {
		points = append(points, core.LatencyPoint{Start: h, LatencyHistogram: hists[h]})
	}
	return points, nil
}

func (s *fakeStore) UsageBreakdown(context.Context, core.UsageQuery, core.UsageGroupBy) ([]core.UsageGroup, error) {
	return []core.UsageGroup{}, nil
}

func (s *fakeStore) Function(_ context.Context, ownerID, idOrName string) (*core.Function, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.fns {
		if f.OwnerID == ownerID && (f.ID == idOrName || f.Name == idOrName) {
			return &f, nil
		}
	}
	return nil, core.Errorf(core.CodeNotFound, "function not found")
}

func (s *fakeStore) ListFunctions(_ context.Context, ownerID string, _ core.Page) ([]core.Function, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fns []core.Function
	for _, f := range s.fns {
		if f.OwnerID == ownerID {
			f.Code = nil
			fns = append(fns, f)
		}
	}
	return fns, "", nil
}

func (s *fakeStore) LastInvocations(_ context.Context, ownerID string, ids []string) (map[string]core.LastInvocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastCalls++
	out := map[string]core.LastInvocation{}
	for _, id := range ids {
		for _, f := range s.fns {
			if l, ok := s.last[id]; ok && f.ID == id && f.OwnerID == ownerID {
				out[id] = l
			}
		}
	}
	return out, nil
}

// ListExecutions pages stored newest first; its cursor is the last id.
func (s *fakeStore) ListExecutions(_ context.Context, ownerID string, f core.ExecutionFilter, p core.Page) ([]core.Execution, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []core.Execution
	for _, e := range s.stored {
		if e.OwnerID == ownerID && e.FunctionID == f.FunctionID && (f.Status == "" || e.Status == f.Status) && (p.Cursor == "" || e.ID < p.Cursor) {
			all = append(all, e)
		}
	}
	slices.SortFunc(all, newestFirst)
	if len(all) <= p.Limit {
		return all, "", nil
	}
	return all[:p.Limit], all[p.Limit-1].ID, nil
}

func (s *fakeStore) pendingOf(ownerID, functionID string) []core.Execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []core.Execution
	for _, e := range s.pending {
		if e.OwnerID == ownerID && e.FunctionID == functionID {
			out = append(out, e)
		}
	}
	return out
}

// testServer is the API on a fakeStore, with a login token for one user.
type testServer struct {
	app   *fiber.App
	store *fakeStore
	owner string
	token string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	fs := newFakeStore()
	tokens := auth.NewTokens([]byte("a test secret of enough length!!"), time.Hour)
	owner := uuid.NewString()
	token, _, err := tokens.Issue(owner)
	if err != nil {
		t.Fatal(err)
	}
	app := New(Deps{
		Store: fs, Tokens: tokens, Log: zap.NewNop(), Registry: prometheus.NewRegistry(), PendingOf: fs.pendingOf,
	})
	return &testServer{app: app, store: fs, owner: owner, token: token}
}

// get answers GET path as the user, decoded; it fails t unless the status
// is want.
func (s *testServer) get(t *testing.T, path string, want int) map[string]any {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := s.app.Test(req, -1)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("GET %s: %d %s, want %d", path, res.StatusCode, body, want)
	}
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
	return v
}

// execution is a finished execution of f taking ms, started at start.
func execution(t *testing.T, f *core.Function, status core.ExecStatus, start time.Time, ms int64) core.Execution {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return core.Execution{
		ID: id.String(), FunctionID: f.ID, OwnerID: f.OwnerID, FunctionName: f.Name, Trigger: "api",
		Status: status, Attempts: 1, MemoryMB: 128, DurationMS: ms, BilledMS: ms,
		StartedAt: start, FinishedAt: start.Add(time.Duration(ms) * time.Millisecond),
	}
}

// addFunction adds a function of the test user to the store.
func (s *testServer) addFunction(name string) *core.Function {
	f := core.Function{
		ID: uuid.NewString(), OwnerID: s.owner, Name: name, Runtime: core.RuntimeNode, Handler: "index.handler",
		MemoryMB: 128, TimeoutMS: 1000, Env: map[string]string{},
	}
	s.store.mu.Lock()
	s.store.fns = append(s.store.fns, f)
	s.store.mu.Unlock()
	return &f
}
