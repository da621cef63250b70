package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/voltrun/voltrun/internal/core"
)

// MaxURLLength caps a webhook URL.
const MaxURLLength = 2048

// ErrBlockedAddress means a webhook target is an address inside the
// server's network, refused unless the operator allows private targets.
var ErrBlockedAddress = errors.New("webhook: target address is loopback, private, link-local or reserved")

// Guard keeps webhook targets out of the server's own network. The server
// calls the URLs accounts register, so without it a URL could reach the
// cloud metadata service, the database or anything else only the server
// can. CheckURL vets a URL when it is registered; Control vets the address
// of every connection the sender opens, which also defeats DNS rebinding
// (a name that resolved to a public address at registration and to a
// private one later).
type Guard struct {
	// AllowPrivate lets targets be loopback, private or link-local
	// addresses (a receiver on the same host or network).
	AllowPrivate bool
	// Resolver looks names up; nil is net.DefaultResolver.
	Resolver *net.Resolver
}

// blocked are the ranges refused besides what netip classifies:
// shared (CGNAT), IETF protocol assignments, benchmarking, documentation,
// reserved, "this network".
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Allowed reports whether the sender may connect to ip.
func (g Guard) Allowed(ip netip.Addr) bool {
	if g.AllowPrivate {
		return ip.IsValid()
	}
	return public(ip)
}

func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	if ip.Is6() {
		b := ip.As16()
		// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4
		// address that is reached in the end: judge that one.
		if netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
			return public(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		}
		if netip.MustParsePrefix("2002::/16").Contains(ip) {
			return public(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return true
}

// CheckURL vets a webhook URL: absolute http or https, a host, no
// credentials, and every address the host resolves to allowed. Its errors
// are validation *core.Errors for the "url" field.
func (g Guard) CheckURL(ctx context.Context, raw string) error {
	bad := func(why string) error {
		return &core.Error{Code: core.CodeValidation, Message: "one or more fields are invalid", Fields: map[string]string{"url": why}}
	}
	if len(raw) > MaxURLLength {
		return bad(fmt.Sprintf("must be at most %d characters", MaxURLLength))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Opaque != "" {
		return bad("must be an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return bad("must not carry credentials; authenticate deliveries by their signature")
	}
	if u.Fragment != "" {
		return bad("must not have a #fragment")
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(ip) {
			return bad("is a loopback, private, link-local or reserved address; the server does not call those")
		}
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		if !g.AllowPrivate {
			return bad("is a loopback address; the server does not call those")
		}
	}
	resolver := g.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	lookup, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(lookup, "ip", host)
	if err != nil || len(addrs) == 0 {
		return bad("host " + host + " does not resolve")
	}
	for _, ip := range addrs {
		if !g.Allowed(ip) {
			return bad("host " + host + " resolves to a loopback, private, link-local or reserved address; the server does not call those")
		}
	}
	return nil
}

// Control is a net.Dialer Control function refusing connections to
// addresses Allowed refuses.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr())
	}
	return nil
}
