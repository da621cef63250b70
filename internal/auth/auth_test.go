package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$11$") {
		t.Fatalf("not bcrypt cost 11: %s", h)
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "correct horsE") || CheckPassword("", "x") {
		t.Fatal("password check wrong")
	}
}

func TestTokensExpireAndPin(t *testing.T) {
	tk := NewTokens([]byte("0123456789abcdef0123456789abcdef"), time.Hour)
	s, exp, err := tk.Issue("u1")
	if err != nil || time.Until(exp) < 59*time.Minute {
		t.Fatalf("issue: %v %v", exp, err)
	}
	if uid, err := tk.Verify(s); err != nil || uid != "u1" {
		t.Fatalf("verify: %q %v", uid, err)
	}
	tk.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	if _, err := tk.Verify(s); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired token accepted: %v", err)
	}
	other := NewTokens([]byte("another-secret-another-secret-xx"), time.Hour)
	if _, err := other.Verify(s); !errors.Is(err, ErrInvalidToken) {
		t.Fatal("token verified with another secret")
	}
}

func TestKeySecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s, prefix, hash, err := NewKeySecret()
		if err != nil {
			t.Fatal(err)
		}
		if !IsKey(s) || len(s) != 43 || !strings.HasPrefix(s, prefix) || hash != HashKey(s) || len(hash) != 64 || seen[s] {
			t.Fatalf("bad key %q prefix %q hash %q", s, prefix, hash)
		}
		seen[s] = true
	}
	p := &Principal{UserID: "u", Key: &core.APIKey{Scopes: []core.Scope{core.ScopeFunctionsRead}}}
	if !p.Allows(core.ScopeFunctionsRead) || p.Allows(core.ScopeFunctionsWrite) {
		t.Fatal("key scopes not applied")
	}
	if !(&Principal{UserID: "u"}).Allows(core.ScopeKeysWrite) {
		t.Fatal("a login token holds every scope")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d refused", i)
		}
		now = now.Add(10 * time.Second)
	}
	ok, after := l.Allow("a")
	if ok || after != 30*time.Second {
		t.Fatalf("4th event: ok=%v retry after %v, want refused, 30s", ok, after)
	}
	if blocked, _ := l.Blocked("a"); !blocked {
		t.Fatal("Blocked disagrees with Allow")
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("keys are independent")
	}
	now = now.Add(31 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("window does not slide")
	}
}
