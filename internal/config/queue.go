package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Queue configures NATS and the asynchronous workers.
type Queue struct {
	URL       string // VOLTRUN_NATS_URL; empty embeds a NATS server
	CredsFile string // VOLTRUN_NATS_CREDS
	// Listen is VOLTRUN_NATS_LISTEN: the embedded server's address for
	// other nodes, with the credentials it requires ("" opens no port).
	Listen NATSListen
	Prefix string // VOLTRUN_NATS_PREFIX
	// Concurrency is VOLTRUN_ASYNC_CONCURRENCY: async calls this node
	// runs at once (0: it only enqueues).
	Concurrency int
	AckWait     time.Duration // VOLTRUN_ASYNC_ACK_WAIT
}

// NATSListen is where the embedded NATS server accepts connections and
// what it requires of them: user and password, or a token, or nothing
// (only allowed on a loopback address).
type NATSListen struct {
	Addr, User, Password, Token string
}

var natsPrefix = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

func (q *Queue) parse(vals map[string]string) error {
	q.URL, q.CredsFile, q.Prefix = vals["VOLTRUN_NATS_URL"], vals["VOLTRUN_NATS_CREDS"], vals["VOLTRUN_NATS_PREFIX"]
	for u := range strings.SplitSeq(q.URL, ",") {
		if q.URL == "" {
			break
		}
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") || p.Host == "" {
			return errors.New("VOLTRUN_NATS_URL must be nats://host:port URLs, comma-separated")
		}
	}
	if q.CredsFile != "" && q.URL == "" {
		return errors.New("VOLTRUN_NATS_CREDS needs VOLTRUN_NATS_URL (the embedded server has no accounts)")
	}
	if !natsPrefix.MatchString(q.Prefix) {
		return fmt.Errorf("VOLTRUN_NATS_PREFIX %q must be a lowercase letter, then up to 31 lowercase letters, digits, _ or -", q.Prefix)
	}
	if raw := vals["VOLTRUN_NATS_LISTEN"]; raw != "" {
		if q.URL != "" {
			return errors.New("VOLTRUN_NATS_LISTEN applies to the embedded NATS server: unset it, or VOLTRUN_NATS_URL")
		}
		l, err := parseListen(raw)
		if err != nil {
			return err
		}
		q.Listen = l
	}
	n, err := strconv.Atoi(vals["VOLTRUN_ASYNC_CONCURRENCY"])
	if err != nil || n < 0 || n > 1000 {
		return fmt.Errorf("VOLTRUN_ASYNC_CONCURRENCY %q must be a whole number between 0 and 1000", vals["VOLTRUN_ASYNC_CONCURRENCY"])
	}
	q.Concurrency = n
	q.AckWait, err = time.ParseDuration(vals["VOLTRUN_ASYNC_ACK_WAIT"])
	if err != nil || q.AckWait < time.Second || q.AckWait > time.Hour {
		return fmt.Errorf("VOLTRUN_ASYNC_ACK_WAIT %q must be a duration between 1s and 1h (e.g. 30s)", vals["VOLTRUN_ASYNC_ACK_WAIT"])
	}
	return nil
}

// parseListen reads host:port or nats://[user:password@|token@]host:port.
// An address other than loopback must carry credentials: an open NATS port
// would let anyone on the network read every log and queue calls.
func parseListen(raw string) (NATSListen, error) {
	const bad = "VOLTRUN_NATS_LISTEN must be host:port or nats://user:password@host:port (or nats://token@host:port)"
	var l NATSListen
	addr := raw
	if strings.Contains(raw, "://") {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "nats" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return l, errors.New(bad)
		}
		addr = u.Host
		if u.User != nil {
			if pw, ok := u.User.Password(); ok {
				l.User, l.Password = u.User.Username(), pw
			} else {
				l.Token = u.User.Username()
			}
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return l, errors.New(bad)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return l, errors.New(bad)
	}
	l.Addr = addr
	if l.User == "" && l.Token == "" && !loopback(host) {
		return l, errors.New("VOLTRUN_NATS_LISTEN off loopback needs credentials: nats://user:password@host:port or nats://token@host:port")
	}
	return l, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
