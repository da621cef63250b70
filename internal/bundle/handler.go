package bundle

import (
	"fmt"
	"strings"
)

// HandlerFiles lists the files, in order of preference, that can define a
// handler module for a runtime ("nodejs" or "python").
func HandlerFiles(runtime, module string) []string {
	if runtime == "python" {
		m := strings.ReplaceAll(module, ".", "/")
		return []string{m + ".py", m + "/__init__.py"}
	}
	return []string{module + ".js", module + ".mjs", module + ".cjs"}
}

// SourceName is the file name given to a single uploaded source text.
func SourceName(runtime, module string) string {
	return HandlerFiles(runtime, module)[0]
}

// CheckHandler returns an error when none of the module's candidate files
// is in the bundle.
func CheckHandler(files map[string][]byte, runtime, module string) error {
	cands := HandlerFiles(runtime, module)
	for _, c := range cands {
		if _, ok := files[c]; ok {
			return nil
		}
	}
	return fmt.Errorf("the code has no %s", strings.Join(cands, " or "))
}
