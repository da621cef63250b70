package webhook_test

import (
	"net/netip"
	"testing"

	"github.com/voltrun/voltrun/internal/core"
	"github.com/voltrun/voltrun/internal/webhook"
)

func TestGuardAllowed(t *testing.T) {
	for _, tc := range []struct {
		ip     string
		public bool
	}{
		{"93.184.216.34", true},
		{"8.8.8.8", true},
		{"2606:4700:4700::1111", true},
		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"fd00::1", false},
		{"169.254.169.254", false},
		{"fe80::1", false}, // cloud metadata, link-local
		{"0.0.0.0", false},
		{"::", false},
		{"100.64.0.1", false},
		{"224.0.0.1", false},
		{"255.255.255.255", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:8.8.8.8", true}, // IPv4-mapped
		{"64:ff9b::a00:1", false},
		{"2002:7f00:1::", false},
		{"2002:0808:0808::", true}, // NAT64, 6to4
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"240.0.0.1", false},
	} {
		ip := netip.MustParseAddr(tc.ip)
		if got := (webhook.Guard{}).Allowed(ip); got != tc.public {
			t.Errorf("Allowed(%s) = %v, want %v", tc.ip, got, tc.public)
		}
		if !(webhook.Guard{AllowPrivate: true}).Allowed(ip) {
			t.Errorf("AllowPrivate refused %s", tc.ip)
		}
	}
}

func TestGuardCheckURL(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://93.184.216.34/hook", false, true},
		{"http://[2606:4700:4700::1111]:8080/x", false, true},
		{"http://127.0.0.1:9000/hook", false, false},
		{"http://127.0.0.1:9000/hook", true, true},
		{"http://localhost:9000/hook", false, false},
		{"http://localhost:9000/hook", true, true},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://[::ffff:10.0.0.1]/", false, false},
		{"ftp://93.184.216.34/", false, false},
		{"/relative", false, false},
		{"https://user:pw@93.184.216.34/", false, false},
		{"https://93.184.216.34/#frag", false, false},
		{"https://does-not-exist.invalid/hook", true, false},
		{"https://", false, false},
		{"https://93.184.216.34/" + string(make([]byte, webhook.MaxURLLength)), false, false},
	} {
		t.Run(tc.url[:min(len(tc.url), 60)], func(t *testing.T) {
			err := webhook.Guard{AllowPrivate: tc.allowPrivate}.CheckURL(ctx, tc.url)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok {
				if core.ErrorCode(err) != core.CodeValidation {
					t.Fatalf("CheckURL = %v, want a validation error", err)
				}
			}
		})
	}
}
