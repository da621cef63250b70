package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the server's whole configuration.
type Config struct {
	Addr        string        // VOLTRUN_ADDR, listen address
	DataDir     string        // VOLTRUN_DATA_DIR, SQLite file, JWT secret, code scratch space
	DatabaseURL string        // DATABASE_URL, postgres:// selects PostgreSQL; empty selects SQLite
	JWTSecret   []byte        // VOLTRUN_JWT_SECRET; generated and kept in DataDir when unset
	JWTTTL      time.Duration // VOLTRUN_JWT_TTL, token lifetime
	LogLevel    string        // VOLTRUN_LOG_LEVEL: debug|info|warn|error
	LogFormat   string        // VOLTRUN_LOG_FORMAT: json|console
	CORSOrigins []string      // VOLTRUN_CORS_ORIGINS, comma-separated dashboard origins allowed cross-origin
	BodyLimit   int           // VOLTRUN_BODY_LIMIT_MB, request body cap in bytes
	// TrustProxy makes the server take the client address from
	// X-Forwarded-For (only behind a reverse proxy that sets it).
	TrustProxy bool // VOLTRUN_TRUST_PROXY
	// Sandbox names the sandbox driver: linuxns, gvisor, firecracker or
	// auto (the best one this host can run).
	Sandbox string        // VOLTRUN_SANDBOX
	WarmTTL time.Duration // VOLTRUN_WARM_TTL, idle time before a warm instance is destroyed
	// PoolMemoryMB bounds the memory limits of pre-warmed instances; 0
	// turns pre-warming off.
	PoolMemoryMB int // VOLTRUN_POOL_MEMORY_MB
	// ServerCPUs bounds the threads running the server's Go code at once
	// (GOMAXPROCS); 0 means half the CPUs, leaving the rest to sandboxes.
	ServerCPUs int // VOLTRUN_SERVER_CPUS
	// SnapshotAfter: a function whose load took at least this long is
	// imaged after its load, where the driver can (gvisor); 0 never.
	SnapshotAfter time.Duration // VOLTRUN_SNAPSHOT_AFTER
	// InstanceMaxCalls and InstanceMaxMemoryPct recycle warm instances
	// after that many calls, or when idle above that share of their limit.
	// A recycle costs a sandbox boot (~100 ms of CPU for Node), so the call
	// limit is high: at 10,000 it cost each no-op call ~10 µs, ~5 % of all
	// the CPU the call used. A function that leaks memory meets the memory
	// threshold instead.
	InstanceMaxCalls     int // VOLTRUN_INSTANCE_MAX_CALLS
	InstanceMaxMemoryPct int // VOLTRUN_INSTANCE_MAX_MEMORY_PCT
	// Queue is NATS and the asynchronous workers (see queue.go).
	Queue Queue
	// Billing is metering, plans, quotas and billing webhooks (see
	// billing.go).
	Billing Billing
}

// Env looks up an environment variable; tests pass a map-backed one.
type Env func(key string) (string, bool)

// Var describes one setting, for flags and documentation.
type Var struct {
	Env, Flag, Default, Help string
}

// Vars lists every setting the server reads, in documentation order.
var Vars = []Var{
	{"VOLTRUN_ADDR", "addr", ":8080", "address the HTTP server listens on"},
	{"VOLTRUN_DATA_DIR", "data-dir", "./data", "directory for the SQLite database, the generated JWT secret and scratch files"},
	{"DATABASE_URL", "database-url", "", "postgres:// URL to use PostgreSQL; empty uses SQLite in the data dir"},
	{"VOLTRUN_JWT_SECRET", "jwt-secret", "", "HMAC secret for tokens (at least 32 bytes); empty generates one, kept in the data dir"},
	{"VOLTRUN_JWT_TTL", "jwt-ttl", "24h", "lifetime of login tokens"},
	{"VOLTRUN_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"VOLTRUN_LOG_FORMAT", "log-format", "console", "json or console; a line per request, on stderr within 100 ms (json samples repeats past 100 a second)"},
	{"VOLTRUN_CORS_ORIGINS", "cors-origins", "", "comma-separated origins allowed to call the API from a browser (e.g. http://localhost:3000 for dashboard development)"},
	{"VOLTRUN_BODY_LIMIT_MB", "body-limit-mb", "16", "largest request body accepted, in MiB"},
	{"VOLTRUN_TRUST_PROXY", "trust-proxy", "false", "take client addresses from X-Forwarded-For (only behind a proxy that sets it)"},
	{"VOLTRUN_SANDBOX", "sandbox", "auto", "sandbox driver: linuxns, gvisor, firecracker, or auto (the best one this host can run)"},
	{"VOLTRUN_WARM_TTL", "warm-ttl", "10m", "how long an idle warm instance is kept before it is destroyed (scale to zero)"},
	{"VOLTRUN_POOL_MEMORY_MB", "pool-memory-mb", "1024", "memory (in instance limits) pre-warmed sandboxes may hold; 0 turns pre-warming off"},
	{"VOLTRUN_SERVER_CPUS", "server-cpus", "0", "CPUs the server's own work may use at once (Go's GOMAXPROCS); 0 takes half of those available, rounded up, and at least two where there are two; the rest is left to the sandboxes, which run on the same host. A GOMAXPROCS variable, when set, wins"},
	{"VOLTRUN_SNAPSHOT_AFTER", "snapshot-after", "100ms", "with the gvisor sandbox, image a function right after its load when the load (its init code) took at least this long, and start its later instances from that image; 0 turns it off"},
	{"VOLTRUN_INSTANCE_MAX_CALLS", "instance-max-calls", "100000", "recycle a warm instance after this many calls; 0 never"},
	{"VOLTRUN_INSTANCE_MAX_MEMORY_PCT", "instance-max-memory-pct", "90", "recycle an idle warm instance using more than this percentage of its memory limit; 0 never"},
	{"VOLTRUN_NATS_URL", "nats-url", "", "external NATS cluster (comma-separated nats:// URLs, which may carry credentials); empty runs NATS embedded"},
	{"VOLTRUN_NATS_CREDS", "nats-creds", "", "NATS credentials file for VOLTRUN_NATS_URL"},
	{"VOLTRUN_NATS_LISTEN", "nats-listen", "", "let other nodes connect to the embedded NATS: host:port, or nats://user:password@host:port or nats://token@host:port (required off loopback); empty opens no port"},
	{"VOLTRUN_NATS_PREFIX", "nats-prefix", "voltrun", "prefix of NATS subjects, stream and consumer names (lets installations share a cluster)"},
	{"VOLTRUN_ASYNC_CONCURRENCY", "async-concurrency", "8", "asynchronous calls this node runs at once; 0 makes it only enqueue them"},
	{"VOLTRUN_ASYNC_ACK_WAIT", "async-ack-wait", "30s", "how long an async call claimed by a worker that stopped answering waits before another worker runs it"},
	{"VOLTRUN_BILLING_GRANULARITY_MS", "billing-granularity-ms", "1", "billed time is run time rounded up to a multiple of this many milliseconds (1 to 60000)"},
	{"VOLTRUN_PLANS", "plans", "", `plans added to the built-in "free" and "unlimited": inline JSON or the path of a JSON file (see docs/billing.md)`},
	{"VOLTRUN_DEFAULT_PLAN", "default-plan", "free", "plan of accounts that have none (admins without one get unlimited)"},
	{"VOLTRUN_ADMIN_EMAILS", "admin-emails", "", "comma-separated emails of the operator's admins; empty makes the first registered user the admin"},
	{"VOLTRUN_USAGE_REPORT_INTERVAL", "usage-report-interval", "1h", "how often usage.report webhook events are sent"},
	{"VOLTRUN_WEBHOOK_ALLOW_PRIVATE", "webhook-allow-private", "false", "let webhooks target loopback, private and link-local addresses (refused by default: SSRF)"},
	{"VOLTRUN_WEBHOOK_TIMEOUT", "webhook-timeout", "10s", "how long one webhook delivery attempt may take"},
	{"VOLTRUN_WEBHOOK_RETRY_BASE", "webhook-retry-base", "30s", "wait before a failed webhook delivery's first retry; it doubles for each later one, up to 6h"},
	{"VOLTRUN_WEBHOOK_MAX_ATTEMPTS", "webhook-max-attempts", "10", "attempts a webhook delivery gets before it is marked failed"},
}

// Load builds a Config from explicit values (flag values the user set, keyed
// by Var.Flag), then env, then defaults; it validates the result and, when
// no JWT secret is configured, loads or creates the one kept in the data dir.
func Load(flags map[string]string, env Env) (*Config, error) {
	get := func(v Var) string {
		if s, ok := flags[v.Flag]; ok {
			return s
		}
		if s, ok := env(v.Env); ok && s != "" {
			return s
		}
		return v.Default
	}
	vals := map[string]string{}
	for _, v := range Vars {
		vals[v.Env] = strings.TrimSpace(get(v))
	}
	c := &Config{
		Addr:        vals["VOLTRUN_ADDR"],
		DataDir:     vals["VOLTRUN_DATA_DIR"],
		DatabaseURL: vals["DATABASE_URL"],
		LogLevel:    strings.ToLower(vals["VOLTRUN_LOG_LEVEL"]),
		LogFormat:   strings.ToLower(vals["VOLTRUN_LOG_FORMAT"]),
		Sandbox:     strings.ToLower(vals["VOLTRUN_SANDBOX"]),
	}
	if err := c.parse(vals); err != nil {
		return nil, err
	}
	if err := c.loadSecret(vals["VOLTRUN_JWT_SECRET"]); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) parse(vals map[string]string) error {
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("VOLTRUN_ADDR %q is not host:port (e.g. :8080)", c.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("VOLTRUN_ADDR %q has an invalid port", c.Addr)
	}
	if c.DataDir == "" {
		return errors.New("VOLTRUN_DATA_DIR must not be empty")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return errors.New("DATABASE_URL must be a postgres://user@host:port/db URL (leave it unset for SQLite)")
		}
	}
	ttl, err := time.ParseDuration(vals["VOLTRUN_JWT_TTL"])
	if err != nil || ttl < time.Minute || ttl > 90*24*time.Hour {
		return fmt.Errorf("VOLTRUN_JWT_TTL %q must be a duration between 1m and 2160h (e.g. 24h)", vals["VOLTRUN_JWT_TTL"])
	}
	c.JWTTTL = ttl
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("VOLTRUN_LOG_LEVEL %q must be debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "console":
	default:
		return fmt.Errorf("VOLTRUN_LOG_FORMAT %q must be json or console", c.LogFormat)
	}
	for _, o := range strings.Split(vals["VOLTRUN_CORS_ORIGINS"], ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
			return fmt.Errorf("VOLTRUN_CORS_ORIGINS entry %q must be an origin like http://localhost:3000", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	mb, err := strconv.Atoi(vals["VOLTRUN_BODY_LIMIT_MB"])
	if err != nil || mb < 1 || mb > 1024 {
		return fmt.Errorf("VOLTRUN_BODY_LIMIT_MB %q must be a whole number between 1 and 1024", vals["VOLTRUN_BODY_LIMIT_MB"])
	}
	c.BodyLimit = mb << 20
	c.TrustProxy, err = strconv.ParseBool(vals["VOLTRUN_TRUST_PROXY"])
	if err != nil {
		return fmt.Errorf("VOLTRUN_TRUST_PROXY %q must be true or false", vals["VOLTRUN_TRUST_PROXY"])
	}
	switch c.Sandbox {
	case "auto", "linuxns", "gvisor", "firecracker":
	default:
		return fmt.Errorf("VOLTRUN_SANDBOX %q must be linuxns, gvisor, firecracker or auto", c.Sandbox)
	}
	if err := c.Queue.parse(vals); err != nil {
		return err
	}
	if err := c.Billing.parse(vals); err != nil {
		return err
	}
	c.PoolMemoryMB, err = strconv.Atoi(vals["VOLTRUN_POOL_MEMORY_MB"])
	if err != nil || c.PoolMemoryMB < 0 || c.PoolMemoryMB > 1<<20 {
		return fmt.Errorf("VOLTRUN_POOL_MEMORY_MB %q must be a whole number of MiB, 0 to turn pre-warming off", vals["VOLTRUN_POOL_MEMORY_MB"])
	}
	c.ServerCPUs, err = strconv.Atoi(vals["VOLTRUN_SERVER_CPUS"])
	if err != nil || c.ServerCPUs < 0 || c.ServerCPUs > 1<<16 {
		return fmt.Errorf("VOLTRUN_SERVER_CPUS %q must be a whole number of CPUs, 0 for half of them", vals["VOLTRUN_SERVER_CPUS"])
	}
	c.InstanceMaxCalls, err = strconv.Atoi(vals["VOLTRUN_INSTANCE_MAX_CALLS"])
	if err != nil || c.InstanceMaxCalls < 0 {
		return fmt.Errorf("VOLTRUN_INSTANCE_MAX_CALLS %q must be a whole number, 0 for never", vals["VOLTRUN_INSTANCE_MAX_CALLS"])
	}
	c.InstanceMaxMemoryPct, err = strconv.Atoi(vals["VOLTRUN_INSTANCE_MAX_MEMORY_PCT"])
	if err != nil || c.InstanceMaxMemoryPct < 0 || c.InstanceMaxMemoryPct > 100 {
		return fmt.Errorf("VOLTRUN_INSTANCE_MAX_MEMORY_PCT %q must be between 0 and 100", vals["VOLTRUN_INSTANCE_MAX_MEMORY_PCT"])
	}
	c.SnapshotAfter, err = time.ParseDuration(vals["VOLTRUN_SNAPSHOT_AFTER"])
	if err != nil || c.SnapshotAfter < 0 || c.SnapshotAfter > time.Hour {
		return fmt.Errorf("VOLTRUN_SNAPSHOT_AFTER %q must be a duration between 0 (off) and 1h (e.g. 100ms)", vals["VOLTRUN_SNAPSHOT_AFTER"])
	}
	c.WarmTTL, err = time.ParseDuration(vals["VOLTRUN_WARM_TTL"])
	if err != nil || c.WarmTTL < time.Second || c.WarmTTL > 24*time.Hour {
		return fmt.Errorf("VOLTRUN_WARM_TTL %q must be a duration between 1s and 24h (e.g. 10m)", vals["VOLTRUN_WARM_TTL"])
	}
	return nil
}

// SecretFile is the name, inside the data dir, of the generated JWT secret.
const SecretFile = "jwt-secret"

func (c *Config) loadSecret(configured string) error {
	if configured != "" {
		if len(configured) < 32 {
			return errors.New("VOLTRUN_JWT_SECRET must be at least 32 characters (or unset, to generate one)")
		}
		c.JWTSecret = []byte(configured)
		return nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("cannot create VOLTRUN_DATA_DIR %s: %w", c.DataDir, err)
	}
	secret, err := loadOrCreateSecret(filepath.Join(c.DataDir, SecretFile))
	if err != nil {
		return err
	}
	c.JWTSecret = secret
	return nil
}
