package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// testEnv is a CLI environment with its own config dir and variables.
func testEnv(t *testing.T, vars map[string]string) cliEnv {
	t.Helper()
	dir := t.TempDir()
	return cliEnv{
		getenv:    func(k string) string { return vars[k] },
		configDir: func() (string, error) { return dir, nil },
		now:       time.Now,
	}
}

func TestConfigIsPrivate(t *testing.T) {
	env := testEnv(t, nil)
	p, err := env.saveConfig(&cliConfig{URL: "http://a:1", Token: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 || !strings.HasSuffix(p, "voltrun/config.json") {
		t.Fatalf("config %s: %v %v", p, st.Mode(), err)
	}
	if dst, _ := os.Stat(strings.TrimSuffix(p, "/config.json")); dst.Mode().Perm() != 0o700 {
		t.Fatalf("config dir mode %v", dst.Mode())
	}
	c, err := env.loadConfig()
	if err != nil || c.Token != "secret" {
		t.Fatalf("load: %+v %v", c, err)
	}
}

func TestResolve(t *testing.T) {
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	saved := &cliConfig{URL: "http://saved:8080", Token: "tok", TokenExpiresAt: &future}
	for _, c := range []struct {
		name        string
		vars        map[string]string
		flag        string
		cfg         *cliConfig
		url, tok    string
		key, errSub string
	}{
		{name: "nothing saved", url: defaultServerURL},
		{name: "saved login", cfg: saved, url: "http://saved:8080", tok: "tok"},
		{name: "env key wins", cfg: saved, vars: map[string]string{"VOLTRUN_API_KEY": "vr_env"}, url: "http://saved:8080", key: "vr_env"},
		{
			name: "flag url wins, saved token stays home", cfg: saved, flag: "http://other:1/",
			vars: map[string]string{"VOLTRUN_URL": "http://env:2"}, url: "http://other:1",
		},
		{name: "env url, saved token stays home", cfg: saved, vars: map[string]string{"VOLTRUN_URL": "http://env:2"}, url: "http://env:2"},
		{name: "saved key", cfg: &cliConfig{URL: "http://s", APIKey: "vr_saved"}, url: "http://s", key: "vr_saved"},
		{name: "expired login", cfg: &cliConfig{URL: "http://s", Token: "t", TokenExpiresAt: &past}, errSub: "expired"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv(t, c.vars)
			if c.cfg != nil {
				if _, err := env.saveConfig(c.cfg); err != nil {
					t.Fatal(err)
				}
			}
			got, _, err := env.resolve(c.flag)
			if c.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), c.errSub) {
					t.Fatalf("err %v, want %q", err, c.errSub)
				}
				return
			}
			if err != nil || got.URL != c.url || got.Token != c.tok || got.APIKey != c.key {
				t.Fatalf("resolve = %+v, %v; want url %s token %q key %q", got, err, c.url, c.tok, c.key)
			}
		})
	}
}
