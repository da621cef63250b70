package main

import (
	"strings"
	"testing"
)

func TestIgnoreRules(t *testing.T) {
	ig := &ignorer{}
	rules := `
# comment, then a blank line

*.log
!keep.log
build/
/root-only.txt
docs/*.md
**/cache
tmp/**
a/**/z.txt
\#hash
[abc].txt
[!x]y.bin
`
	for _, p := range alwaysIgnored {
		if err := ig.add(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := ig.parse(strings.NewReader(rules)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path  string
		dir   bool
		ignor bool
	}{
		{"index.js", false, false},
		{"err.log", false, true},
		{"deep/x/err.log", false, true},
		{"keep.log", false, false},
		{"deep/keep.log", false, false},
		{"build", true, true},
		{"src/build", true, true},
		{"build", false, false}, // a file named build is not the build/ directory
		{"root-only.txt", false, true},
		{"sub/root-only.txt", false, false},
		{"docs/a.md", false, true},
		{"docs/sub/a.md", false, false},
		{"cache", true, true},
		{"x/y/cache", false, true},
		{"tmp", true, false},
		{"tmp/a/b", false, true},
		{"a/z.txt", false, true},
		{"a/b/c/z.txt", false, true},
		{"#hash", false, true},
		{"b.txt", false, true},
		{"d.txt", false, false},
		{"ay.bin", false, true},
		{"xy.bin", false, false},
		{".git", true, true},
		{"voltrun.yaml", false, true},
		{"sub/voltrun.yaml", false, false},
		{".voltrunignore", false, true},
	} {
		if got := ig.ignored(c.path, c.dir); got != c.ignor {
			t.Errorf("ignored(%q, dir=%v) = %v, want %v", c.path, c.dir, got, c.ignor)
		}
	}
}

func TestIgnoreRejectsBrokenPatterns(t *testing.T) {
	ig := &ignorer{}
	if err := ig.parse(strings.NewReader("ok\n[oops\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("unclosed class: %v", err)
	}
}
