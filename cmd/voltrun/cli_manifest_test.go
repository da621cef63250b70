package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInitWritesADeployableFolder(t *testing.T) {
	for _, rt := range []string{"nodejs", "python"} {
		t.Run(rt, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "hello")
			out, _, err := runCLI(t, testEnv(t, nil), "", "init", "hello", "--runtime", rt, "--dir", dir)
			if err != nil || !strings.Contains(out, "created "+dir) {
				t.Fatalf("init: %q %v", out, err)
			}
			m, err := loadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			s := m.spec()
			if s.Name != "hello" || s.Runtime != rt || s.Handler != defaultHandler(rt) || s.MemoryMB != 128 ||
				s.TimeoutMS != 10000 || s.Env == nil {
				t.Fatalf("spec %+v", s)
			}
			p, err := packFolder(os.DirFS(dir))
			if err != nil || p.files != 1 {
				t.Fatalf("pack: %+v %v", p, err)
			}
			// A second init never overwrites.
			if _, _, err := runCLI(t, testEnv(t, nil), "", "init", "hello", "--runtime", rt, "--dir", dir); err == nil ||
				!strings.Contains(err.Error(), "already exists") {
				t.Fatalf("second init: %v", err)
			}
		})
	}
}

func TestInitRefusesBadInput(t *testing.T) {
	for _, args := range [][]string{{"init", "Hello"}, {"init", "ok", "--runtime", "ruby"}} {
		if _, _, err := runCLI(t, testEnv(t, nil), "", args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestManifestErrors(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"name: ok\nruntime: nodejs\nmemroy: 256\n", "field memroy not found"},
		{"name: ok\nruntime: nodejs\ntimeout: 30\n", "duration with its unit"},
		{"name: ok\nruntime: nodejs\ntimeout: soon\n", "duration with its unit"},
		{"name: Bad\nruntime: nodejs\n", "name \"Bad\""},
		{"name: ok\nruntime: go\n", "runtime must be"},
		{"", "name \"\""},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, manifestName), []byte(c.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadManifest(dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.yaml, err, c.want)
		}
	}
	if _, err := loadManifest(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no voltrun.yaml") {
		t.Errorf("missing manifest: %v", err)
	}
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, manifestName), []byte("name: ok\nruntime: python\ntimeout: 1m30s\nmemory: 256\n"), 0o600)
	m, err := loadManifest(dir)
	if err != nil || time.Duration(m.Timeout) != 90*time.Second || m.spec().TimeoutMS != 90000 || m.spec().Handler != "main.handler" {
		t.Fatalf("valid manifest: %+v %v", m, err)
	}
}
