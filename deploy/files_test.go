package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repo is the repository root, seen from this package's directory.
const repo = ".."

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func yamlFile(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(read(t, path)), &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// dig walks nested YAML maps by key.
func dig(t *testing.T, m any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			t.Fatalf("no %q in %v", k, m)
		}
		m = mm[k]
	}
	return m
}

// goMinor is go.mod's language version as major.minor ("1.26").
func goMinor(t *testing.T) string {
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return m[1]
}

// TestDockerfile: the stages use the toolchains the repository needs, the
// files it copies exist and are not excluded from the build context, and
// the version is stamped into the binary.
func TestDockerfile(t *testing.T) {
	df := read(t, "deploy/Dockerfile")
	var froms, copies []string
	sc := bufio.NewScanner(strings.NewReader(df))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "FROM":
			froms = append(froms, f[1])
		case len(f) >= 3 && f[0] == "COPY" && !strings.HasPrefix(f[1], "--from="):
			copies = append(copies, f[1:len(f)-1]...)
		}
	}
	want := []string{"node:20-bookworm-slim", "golang:" + goMinor(t) + "-bookworm", "debian:12-slim"}
	if !slices.Equal(froms, want) {
		t.Fatalf("stages %v, want %v", froms, want)
	}
	ignored := strings.Fields(read(t, ".dockerignore"))
	for _, src := range copies {
		if _, err := os.Stat(filepath.Join(repo, src)); err != nil {
			t.Errorf("COPY %s: %v", src, err)
		}
		for _, ig := range ignored {
			if src == ig || strings.HasPrefix(src, ig+"/") {
				t.Errorf("COPY %s, but .dockerignore leaves out %s", src, ig)
			}
		}
	}
	for _, must := range []string{"-X main.version=${VERSION}", "CGO_ENABLED=0", "nodejs python3", "voltrun\", \"health\""} {
		if !strings.Contains(df, must) {
			t.Errorf("Dockerfile lacks %q", must)
		}
	}
	if st, err := os.Stat(filepath.Join(repo, "deploy/docker-entrypoint.sh")); err != nil || st.Mode()&0o111 == 0 {
		t.Errorf("docker-entrypoint.sh must exist and be executable: %v", err)
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		if out, err := exec.Command(sh, "-n", filepath.Join(repo, "deploy/docker-entrypoint.sh")).CombinedOutput(); err != nil {
			t.Errorf("sh -n docker-entrypoint.sh: %v\n%s", err, out)
		}
	}
}

// TestCompose: PostgreSQL 15 and VoltRun, both with health checks, VoltRun
// started once the database is healthy, named volumes declared, and every
// variable without a default documented in .env.example.
func TestCompose(t *testing.T) {
	c := yamlFile(t, "deploy/docker-compose.yml")
	if img := dig(t, c, "services", "postgres", "image"); img != "postgres:15" {
		t.Errorf("postgres image %v", img)
	}
	for _, svc := range []string{"postgres", "voltrun"} {
		if dig(t, c, "services", svc, "healthcheck", "test") == nil {
			t.Errorf("%s has no health check", svc)
		}
		for _, v := range asList(dig(t, c, "services", svc, "volumes")) {
			name, _, _ := strings.Cut(v.(string), ":")
			if dig(t, c, "volumes") == nil || !hasKey(dig(t, c, "volumes"), name) {
				t.Errorf("%s mounts volume %q, which is not declared", svc, name)
			}
		}
	}
	if cond := dig(t, c, "services", "voltrun", "depends_on", "postgres", "condition"); cond != "service_healthy" {
		t.Errorf("voltrun starts on postgres %v, want service_healthy", cond)
	}
	if df := dig(t, c, "services", "voltrun", "build", "dockerfile"); df != "deploy/Dockerfile" {
		t.Errorf("build.dockerfile %v", df)
	}
	env := read(t, "deploy/.env.example")
	for _, m := range regexp.MustCompile(`\$\{([A-Z_]+)(:[-?][^}]*)?\}`).FindAllStringSubmatch(read(t, "deploy/docker-compose.yml"), -1) {
		if !strings.HasPrefix(m[2], ":-") && !strings.Contains(env, "\n"+m[1]+"=") {
			t.Errorf("${%s} has no default and is not in .env.example", m[1])
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func hasKey(m any, k string) bool {
	mm, ok := m.(map[string]any)
	if !ok {
		return false
	}
	_, ok = mm[k]
	return ok
}

// TestSystemdUnit: the unit keeps exactly the capabilities the sandbox was
// verified with, leaves out the options that break sandboxes, and passes
// systemd-analyze verify where that tool exists.
func TestSystemdUnit(t *testing.T) {
	unit := read(t, "deploy/systemd/voltrun.service")
	settings := map[string]string{}
	for _, line := range strings.Split(unit, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = v
		}
	}
	if got := settings["CapabilityBoundingSet"]; got != "CAP_SETUID CAP_SETGID CAP_SYS_ADMIN CAP_CHOWN" {
		t.Errorf("CapabilityBoundingSet=%s", got)
	}
	for _, k := range []string{"NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"} {
		if settings[k] == "" {
			t.Errorf("hardening option %s is not set", k)
		}
	}
	// Sandboxes inherit these (seccomp filters, read-only cgroups) and
	// would break: see the unit's comments.
	for _, k := range []string{"ProtectControlGroups", "RestrictNamespaces", "SystemCallFilter", "MemoryDenyWriteExecute", "ProtectHostname"} {
		if _, set := settings[k]; set {
			t.Errorf("%s is set; the sandbox cannot work with it", k)
		}
	}
	if !strings.HasSuffix(settings["ExecStart"], "/voltrun server") {
		t.Errorf("ExecStart=%s", settings["ExecStart"])
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: skipping systemd-analyze verify")
		return
	}
	// verify checks that ExecStart's binary exists: point it at this test
	// binary for the check.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(t.TempDir(), "voltrun.service")
	if err := os.WriteFile(tmp, []byte(strings.Replace(unit, "ExecStart=/usr/local/bin/voltrun", "ExecStart="+self, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", tmp).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestWorkflows: CI lints with the Makefile's pinned golangci-lint, tests
// against PostgreSQL 15 and in a browser; the release builds both
// architectures with the tag stamped in, with checksums and the image.
func TestWorkflows(t *testing.T) {
	ci := yamlFile(t, ".github/workflows/ci.yml")
	for _, job := range []string{"lint", "web", "test", "browser", "build"} {
		if dig(t, ci, "jobs", job) == nil {
			t.Errorf("ci.yml has no %s job", job)
		}
	}
	if img := dig(t, ci, "jobs", "test", "services", "postgres", "image"); img != "postgres:15" {
		t.Errorf("ci test database %v", img)
	}
	ciText, rel := read(t, ".github/workflows/ci.yml"), read(t, ".github/workflows/release.yml")
	for _, must := range []string{"make lint", "make test-go", "make test-web", "make test-e2e", "chromium"} {
		if !strings.Contains(ciText, must) {
			t.Errorf("ci.yml lacks %q", must)
		}
	}
	if !regexp.MustCompile(`(?m)^GOLANGCI_VERSION := v2\.15\.0$`).MatchString(read(t, "Makefile")) {
		t.Error("the Makefile no longer pins golangci-lint v2.15.0, which CI's make lint relies on")
	}
	for _, must := range []string{
		"for arch in amd64 arm64", "-X main.version=${TAG}", "sha256sum", "SHA256SUMS",
		"platforms: linux/amd64,linux/arm64", "file: deploy/Dockerfile",
	} {
		if !strings.Contains(rel, must) {
			t.Errorf("release.yml lacks %q", must)
		}
	}
	if on := dig(t, yamlFile(t, ".github/workflows/release.yml"), "on", "push", "tags"); on == nil {
		t.Error("release.yml does not run on tags")
	}
}
