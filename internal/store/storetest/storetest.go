package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/voltrun/voltrun/internal/core"
)

// Run runs the whole suite against the stores open returns. open must
// return a new, empty, ready store and arrange for it to be closed when t
// ends (t.Cleanup); Run calls it once per test group, from parallel
// subtests.
func Run(t *testing.T, open func(t *testing.T) core.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(*testing.T, core.Store)
	}{
		{"Users", testUsers},
		{"UserLookups", testUserLookups},
		{"Keys", testKeys},
		{"KeyErrors", testKeyErrors},
		{"ListKeys", testListKeys},
		{"DeleteKey", testDeleteKey},
		{"TouchKeys", testTouchKeys},
		{"Functions", testFunctions},
		{"FunctionLookups", testFunctionLookups},
		{"FunctionNames", testFunctionNames},
		{"ListFunctions", testListFunctions},
		{"UpdateFunction", testUpdateFunction},
		{"DeleteFunction", testDeleteFunction},
		{"MalformedCursor", testMalformedCursor},
		{"ConcurrentCreate", testConcurrentCreate},
		{"MaxConcurrency", testMaxConcurrency},
		{"PublicNames", testPublicNames},
		{"PublicFunction", testPublicFunction},
		{"ConcurrentPublish", testConcurrentPublish},
		{"Executions", testExecutions},
		{"SaveExecutions", testSaveExecutions},
		{"ExecutionBatch", testExecutionBatch},
		{"ListExecutions", testListExecutions},
		{"ExecutionOrphans", testExecutionOrphans},
		{"ExecutionCascade", testExecutionCascade},
		{"ExecutionDeleteRace", testExecutionDeleteRace},
		{"Versions", testVersions},
		{"Aliases", testAliases},
		{"ConcurrentVersions", testConcurrentVersions},
		{"AsyncSettings", testAsyncSettings},
		{"ExecutionOrdering", testExecutionOrdering},
		{"UsageTotals", testUsageTotals},
		{"UsageMetering", testUsageMetering},
		{"UsageLatency", testUsageLatency},
		{"LatencyBatch", testLatencyBatch},
		{"LastInvocations", testLastInvocations},
		{"Accounts", testAccounts},
		{"PromoteAdmins", testPromoteAdmins},
		{"Webhooks", testWebhooks},
		{"Outbox", testOutbox},
		{"FailureEvents", testFailureEvents},
		{"UsageReports", testUsageReports},
		{"Ping", testPing},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, open(t))
		})
	}
}

// wantCode fails t unless err is a *core.Error with code and a message
// fit to show a user.
func wantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want a *core.Error with code %s", err, err, code)
	}
	if e.Code != code {
		t.Fatalf("error code = %s (%v), want %s", e.Code, err, code)
	}
	if e.Message == "" {
		t.Fatalf("error %v has no message", err)
	}
}

// wantUUIDv7 fails t unless id is a canonical UUIDv7.
func wantUUIDv7(t *testing.T, id string) {
	t.Helper()
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id || u.Version() != 7 {
		t.Fatalf("id %q is not a canonical UUIDv7", id)
	}
}

// wantStoredTime fails t unless got is UTC, at microsecond precision (what
// PostgreSQL keeps) and within the last minute.
func wantStoredTime(t *testing.T, what string, got time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
	if got.Nanosecond()%1000 != 0 {
		t.Errorf("%s = %v has sub-microsecond digits", what, got)
	}
	if d := time.Since(got); d < 0 || d > time.Minute {
		t.Errorf("%s = %v, want about now", what, got)
	}
}

func newUser(t *testing.T, s core.Store, email string) *core.User {
	t.Helper()
	u := &core.User{Email: email, Name: "Test " + email, PasswordHash: "$2a$10$hash"}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func newKey(t *testing.T, s core.Store, userID, hash string) *core.APIKey {
	t.Helper()
	k := &core.APIKey{
		UserID: userID, Name: "key " + hash, Prefix: "vr_" + hash[:4], Hash: hash,
		Scopes: []core.Scope{core.ScopeFunctionsRead},
	}
	if err := s.CreateKey(t.Context(), k); err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return k
}

func newFunction(t *testing.T, s core.Store, ownerID, name string) *core.Function {
	t.Helper()
	f := sampleFunction(ownerID, name)
	if err := s.CreateFunction(t.Context(), f); err != nil {
		t.Fatalf("CreateFunction(%s): %v", name, err)
	}
	return f
}

func sampleFunction(ownerID, name string) *core.Function {
	f := &core.Function{
		OwnerID:        ownerID,
		Name:           name,
		Runtime:        core.RuntimeNode,
		Handler:        core.DefaultHandler(core.RuntimeNode),
		MemoryMB:       core.DefaultMemoryMB,
		TimeoutMS:      core.DefaultTimeoutMS,
		MaxConcurrency: core.DefaultMaxConcurrency,
	}
	setCode(f, []byte("PK\x03\x04 zip of "+name))
	return f
}

// setCode sets the code and a digest as the API computes it: the archive's
// SHA-256 and its unpacked size, which differs from len(code), so a store
// that derives CodeSize itself fails the suite.
func setCode(f *core.Function, code []byte) {
	sum := sha256.Sum256(code)
	f.Code, f.CodeSHA256, f.CodeSize = code, hex.EncodeToString(sum[:]), int64(3*len(code)+1)
}

// hashN is a distinct fake key hash (64 hex characters, like a SHA-256).
func hashN(n int) string { return fmt.Sprintf("%064x", n+1) }

func testPing(t *testing.T, s core.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
