package engine

import (
	"testing"

	"github.com/voltrun/voltrun/internal/core"
)

// TestCodeKey: the same configuration, however its env map was built,
// gives the same key, and a change of any part a sandbox is loaded with
// gives another, including moving bytes across the boundary of two parts.
func TestCodeKey(t *testing.T) {
	base := func() *core.Function {
		return &core.Function{
			ID: "0190f0f0-0000-7000-8000-000000000001", CodeSHA256: "ab12", Runtime: core.RuntimeNode,
			Handler: "index.handler", MemoryMB: 128, TimeoutMS: 3000, Env: map[string]string{"A": "1", "B": "2"},
		}
	}
	key := codeKey(base(), core.LatestVersion)
	same := base()
	same.Env = map[string]string{"B": "2"}
	same.Env["A"] = "1"
	same.Name, same.Description, same.MaxConcurrency = "renamed", "other", 7 // not loaded into the sandbox
	if got := codeKey(same, core.LatestVersion); got != key {
		t.Errorf("the same configuration gave %s and %s", got, key)
	}
	if got := codeKey(base(), "3"); got == key {
		t.Error("another version gave the same key")
	}
	for name, edit := range map[string]func(f *core.Function){
		"id":           func(f *core.Function) { f.ID = "0190f0f0-0000-7000-8000-000000000002" },
		"code":         func(f *core.Function) { f.CodeSHA256 = "ab13" },
		"runtime":      func(f *core.Function) { f.Runtime = core.RuntimePython },
		"handler":      func(f *core.Function) { f.Handler = "main.handler" },
		"memory":       func(f *core.Function) { f.MemoryMB = 256 },
		"timeout":      func(f *core.Function) { f.TimeoutMS = 3001 },
		"env value":    func(f *core.Function) { f.Env["B"] = "3" },
		"env added":    func(f *core.Function) { f.Env["C"] = "" },
		"env removed":  func(f *core.Function) { delete(f.Env, "B") },
		"env boundary": func(f *core.Function) { f.Env = map[string]string{"A1": "", "B": "2"} },
		"part boundary": func(f *core.Function) {
			f.CodeSHA256, f.Runtime = "ab12n", core.Runtime("odejs")
		},
		"numbers": func(f *core.Function) { f.MemoryMB, f.TimeoutMS = 1283, 0 },
	} {
		f := base()
		edit(f)
		if codeKey(f, core.LatestVersion) == key {
			t.Errorf("%s: the edited function kept its key", name)
		}
	}
}
