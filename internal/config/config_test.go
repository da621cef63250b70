package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaultsAndSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	c, err := Load(nil, envOf(map[string]string{"VOLTRUN_DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DatabaseURL != "" || c.LogFormat != "console" || c.BodyLimit != 16<<20 || c.SnapshotAfter != 100*time.Millisecond || c.ServerCPUs != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	fi, err := os.Stat(filepath.Join(dir, SecretFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	again, err := Load(nil, envOf(map[string]string{"VOLTRUN_DATA_DIR": dir}))
	if err != nil || string(again.JWTSecret) != string(c.JWTSecret) || len(c.JWTSecret) < 32 {
		t.Fatalf("secret not kept across loads: %v", err)
	}
}

func TestFlagsBeatEnv(t *testing.T) {
	c, err := Load(map[string]string{"addr": "127.0.0.1:9999", "data-dir": t.TempDir()},
		envOf(map[string]string{"VOLTRUN_ADDR": ":7000", "VOLTRUN_LOG_FORMAT": "JSON"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || c.LogFormat != "json" {
		t.Fatalf("%+v", c)
	}
}

func TestInvalid(t *testing.T) {
	cases := map[string]struct{ key, val, want string }{
		"addr":   {"VOLTRUN_ADDR", "8080", "VOLTRUN_ADDR"},
		"port":   {"VOLTRUN_ADDR", ":99999", "VOLTRUN_ADDR"},
		"db":     {"DATABASE_URL", "mysql://x", "DATABASE_URL"},
		"level":  {"VOLTRUN_LOG_LEVEL", "loud", "VOLTRUN_LOG_LEVEL"},
		"format": {"VOLTRUN_LOG_FORMAT", "xml", "VOLTRUN_LOG_FORMAT"},
		"secret": {"VOLTRUN_JWT_SECRET", "short", "VOLTRUN_JWT_SECRET"},
		"ttl":    {"VOLTRUN_JWT_TTL", "forever", "VOLTRUN_JWT_TTL"},
		"cors":   {"VOLTRUN_CORS_ORIGINS", "localhost:3000", "VOLTRUN_CORS_ORIGINS"},
		"body":   {"VOLTRUN_BODY_LIMIT_MB", "0", "VOLTRUN_BODY_LIMIT_MB"},
		"proxy":  {"VOLTRUN_TRUST_PROXY", "maybe", "VOLTRUN_TRUST_PROXY"},
		"snap":   {"VOLTRUN_SNAPSHOT_AFTER", "-1s", "VOLTRUN_SNAPSHOT_AFTER"},
		"snapms": {"VOLTRUN_SNAPSHOT_AFTER", "100", "VOLTRUN_SNAPSHOT_AFTER"},
		"cpus":   {"VOLTRUN_SERVER_CPUS", "-1", "VOLTRUN_SERVER_CPUS"},
		"cpusx":  {"VOLTRUN_SERVER_CPUS", "half", "VOLTRUN_SERVER_CPUS"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(nil, envOf(map[string]string{"VOLTRUN_DATA_DIR": t.TempDir(), c.key: c.val}))
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line naming %s", err, c.want)
			}
		})
	}
}
