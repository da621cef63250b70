package bundle

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func zipOf(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDeterministic(t *testing.T) {
	files := map[string][]byte{"index.js": []byte("x"), "lib/a.js": []byte("y")}
	a, err := FromFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := FromArchive(zipOf(t, map[string]string{"fn/lib/a.js": "y", "fn/index.js": "x"}))
	if a.SHA256 != b.SHA256 || a.Size != 2 {
		t.Fatalf("same files, different bundles: %s %s", a.SHA256, b.SHA256)
	}
	text, binary, err := TextFiles(a.Archive)
	if err != nil || text["lib/a.js"] != "y" || len(binary) != 0 {
		t.Fatalf("%v %v %v", text, binary, err)
	}
}

func TestRefused(t *testing.T) {
	big := strings.Repeat("0", MaxBytes+1)
	cases := map[string]func() (*Bundle, error){
		"dotdot":      func() (*Bundle, error) { return FromFiles(map[string][]byte{"a/../../x": nil}) },
		"absolute":    func() (*Bundle, error) { return FromFiles(map[string][]byte{"/etc/passwd": nil}) },
		"backslash":   func() (*Bundle, error) { return FromFiles(map[string][]byte{`..\x`: nil}) },
		"unclean":     func() (*Bundle, error) { return FromFiles(map[string][]byte{"./a.js": nil}) },
		"empty":       func() (*Bundle, error) { return FromFiles(nil) },
		"file-as-dir": func() (*Bundle, error) { return FromFiles(map[string][]byte{"a": nil, "a/b": nil}) },
		"too big":     func() (*Bundle, error) { return FromFiles(map[string][]byte{"a": []byte(big)}) },
		"zip slip":    func() (*Bundle, error) { return FromArchive(zipOf(t, map[string]string{"../../evil.js": "x"})) },
		"zip bomb":    func() (*Bundle, error) { return FromArchive(zipOf(t, map[string]string{"a": big})) },
		"not zip":     func() (*Bundle, error) { return FromArchive([]byte("PK nope")) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f()
			var be *Error
			if !errors.As(err, &be) || be.Msg == "" {
				t.Fatalf("want a user-facing *Error, got %v", err)
			}
		})
	}
}

func TestCheckHandler(t *testing.T) {
	files := map[string][]byte{"index.mjs": nil, "pkg/mod.py": nil, "app/__init__.py": nil}
	for _, c := range []struct {
		runtime, module string
		ok              bool
	}{
		{"nodejs", "index", true},
		{"nodejs", "main", false},
		{"python", "pkg/mod", true},
		{"python", "pkg.mod", true},
		{"python", "app", true},
		{"python", "index", false},
	} {
		if err := CheckHandler(files, c.runtime, c.module); (err == nil) != c.ok {
			t.Errorf("%s %s: %v", c.runtime, c.module, err)
		}
	}
}
