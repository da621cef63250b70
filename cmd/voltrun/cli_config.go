package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// defaultServerURL is where the CLI looks when nothing says otherwise:
// what `voltrun server` listens on by default.
const defaultServerURL = "http://localhost:8080"

// cliConfig is what `voltrun login` keeps in the user's config dir. It
// holds a secret, so it is written 0600 in a 0700 directory.
type cliConfig struct {
	URL            string     `json:"url"`
	Email          string     `json:"email,omitempty"`
	Token          string     `json:"token,omitempty"`
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	APIKey         string     `json:"api_key,omitempty"`
}

// cliEnv is the CLI's seam to the outside world, replaced in tests.
type cliEnv struct {
	getenv    func(string) string
	configDir func() (string, error)
	now       func() time.Time
}

func osEnv() cliEnv {
	return cliEnv{getenv: os.Getenv, configDir: os.UserConfigDir, now: time.Now}
}

func (e cliEnv) configPath() (string, error) {
	dir, err := e.configDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w (set XDG_CONFIG_HOME or HOME)", err)
	}
	return filepath.Join(dir, "voltrun", "config.json"), nil
}

// loadConfig reads the saved config; a missing file is an empty config.
func (e cliEnv) loadConfig() (*cliConfig, error) {
	p, err := e.configPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return &cliConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	var c cliConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON (%w): fix it or run voltrun login again", p, err)
	}
	return &c, nil
}

// saveConfig writes c atomically (temp file + rename) with 0600, so a
// crash never leaves a half-written secret or a world-readable one.
func (e cliEnv) saveConfig(c *cliConfig) (string, error) {
	p, err := e.configPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	b, err := json.MarshalIndent(c, "", "  ") //nolint:gosec // G117: keeping the secret is this file's purpose; it is 0600
	if err != nil {
		return "", fmt.Errorf("encode config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".config-*.json")
	if err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("write config: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("write config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	return p, nil
}

// target is the server and credential a command uses.
type target struct {
	URL    string
	Token  string
	APIKey string
}

// resolve picks the server URL (serverURL) and the credential (VOLTRUN_API_KEY, then the saved
// key or token). Saved credentials are sent only to the server they were
// issued by: pointing VOLTRUN_URL elsewhere must not leak them.
func (e cliEnv) resolve(flagURL string) (*target, *cliConfig, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	t := &target{URL: e.serverURL(flagURL, cfg)}
	if k := e.getenv("VOLTRUN_API_KEY"); k != "" {
		t.APIKey = k
		return t, cfg, nil
	}
	if cfg.URL != "" && strings.TrimRight(cfg.URL, "/") == t.URL {
		t.APIKey = cfg.APIKey
		if t.APIKey == "" && cfg.Token != "" {
			if cfg.TokenExpiresAt != nil && !e.now().Before(*cfg.TokenExpiresAt) {
				return nil, nil, fmt.Errorf("your login to %s expired at %s: run voltrun login",
					t.URL, cfg.TokenExpiresAt.Local().Format(time.DateTime))
			}
			t.Token = cfg.Token
		}
	}
	return t, cfg, nil
}

// serverURL is the server a command talks to: --url, then VOLTRUN_URL,
// then the saved one, then localhost.
func (e cliEnv) serverURL(flagURL string, cfg *cliConfig) string {
	return strings.TrimRight(firstNonEmpty(flagURL, e.getenv("VOLTRUN_URL"), cfg.URL, defaultServerURL), "/")
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
