package deploy

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/voltrun/voltrun/internal/config"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/deploy.md")

const (
	tableBegin = "<!-- config-table:begin -->\n"
	tableEnd   = "<!-- config-table:end -->"
)

// configTable renders every server setting as the docs' Markdown table.
func configTable() string {
	var b strings.Builder
	b.WriteString("| variable | flag | default | meaning |\n|---|---|---|---|\n")
	for _, v := range config.Vars {
		def := "(none)"
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `--%s` | %s | %s |\n", v.Env, v.Flag, def, strings.ReplaceAll(v.Help, "|", `\|`))
	}
	return b.String()
}

// TestConfigTable keeps docs/deploy.md's table equal to the settings the
// server reads; -update rewrites it after a setting is added.
func TestConfigTable(t *testing.T) {
	path := filepath.Join("..", "docs", "deploy.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q ... %q markers", path, tableBegin, tableEnd)
	}
	want := configTable()
	if got := doc[i+len(tableBegin) : j]; got != want {
		if !*update {
			t.Fatalf("%s's configuration table is out of date: run go test ./deploy -run TestConfigTable -update", path)
		}
		doc = doc[:i+len(tableBegin)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil { //nolint:gosec // documentation
			t.Fatal(err)
		}
	}
}
