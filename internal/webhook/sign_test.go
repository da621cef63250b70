package webhook_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/webhook"
)

const testVector = "t=1900000000,v1=49ce984c15d76b50a9f61c0e6f8f366b09efb50a922116b0528fa10d87ead880"

func TestSignVerify(t *testing.T) {
	secret, err := webhook.NewSecret()
	if err != nil || !strings.HasPrefix(secret, "whsec_") || len(secret) != 6+64 {
		t.Fatalf("NewSecret = %q, %v", secret, err)
	}
	now := time.Unix(1_900_000_000, 0)
	body := []byte(`{"type":"invocation.failed"}`)
	sig := webhook.Sign(secret, now, body)
	if !strings.HasPrefix(sig, "t=1900000000,v1=") || len(sig) != len("t=1900000000,v1=")+64 {
		t.Fatalf("Sign = %q", sig)
	}
	// A fixed vector (docs/billing.md quotes it): HMAC-SHA256 keyed with
	// "whsec_test" of "1900000000.{}", as Python's hmac computes it.
	if got := webhook.Sign("whsec_test", now, []byte("{}")); got != testVector {
		t.Fatalf("Sign(vector) = %s, want %s", got, testVector)
	}
	other, _ := webhook.NewSecret()
	for _, tc := range []struct {
		name   string
		secret string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", secret, sig, body, now, nil},
		{"valid a little later", secret, sig, body, now.Add(4 * time.Minute), nil},
		{"second signature matches", secret, "t=1900000000,v1=00," + strings.TrimPrefix(sig, "t=1900000000,"), body, now, nil},
		{"tampered body", secret, sig, []byte(`{"type":"invocation.failed "}`), now, webhook.ErrMismatch},
		{"other secret", other, sig, body, now, webhook.ErrMismatch},
		{"replayed later", secret, sig, body, now.Add(6 * time.Minute), webhook.ErrStale},
		{"from the future", secret, sig, body, now.Add(-6 * time.Minute), webhook.ErrStale},
		{"no v1", secret, "t=1900000000", body, now, webhook.ErrMalformed},
		{"no t", secret, "v1=abc", body, now, webhook.ErrMalformed},
		{"garbage", secret, "hello", body, now, webhook.ErrMalformed},
		{"empty", secret, "", body, now, webhook.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := webhook.Verify(tc.secret, tc.header, tc.body, 0, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}
