package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/voltrun/voltrun/client"
	"github.com/voltrun/voltrun/internal/core"
)

// scaffold is what init writes for one runtime.
type scaffold struct {
	file, code string
}

var scaffolds = map[string]scaffold{
	client.RuntimeNode: {"index.js", `// A VoltRun function: called with the event (the request's JSON body) and
// a Lambda-style context. Whatever it returns is the result.
exports.handler = async (event, context) => {
  console.log("hello from", context.functionName, context.functionVersion);
  return { hello: event.name ?? "world" };
};
`},
	client.RuntimePython: {"main.py", `# A VoltRun function: called with the event (the request's JSON body) and
# a Lambda-style context. Whatever it returns is the result.
def handler(event, context):
    print("hello from", context.function_name, context.function_version)
    return {"hello": event.get("name", "world")}
`},
}

const manifestTemplate = `# The function's configuration: voltrun deploy applies it (a line left out
# takes its default). The folder's other files are its code.
name: %s
# nodejs or python
runtime: %s
# file.export: the function the platform calls
handler: %s
# description: what it does
# memory in MB, 64 to 4096
memory: 128
# how long one call may run, up to 15m
timeout: 10s
# environment variables, one per line, e.g.
#   GREETING: hello
env: {}
`

const ignoreTemplate = `# Files voltrun deploy leaves out of the upload (gitignore syntax).
# Dependencies must be bundled: keep node_modules/ or vendored packages in.
.env
*.log
.DS_Store
__pycache__/
*.pyc
`

func (a *cli) initCmd() *cobra.Command {
	var runtime, dir string
	cmd := &cobra.Command{
		Use:     "init NAME",
		Short:   "Create a function folder with a handler and voltrun.yaml",
		Example: "  voltrun init hello --runtime python && cd hello && voltrun deploy",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.checkOutput(); err != nil {
				return err
			}
			name := args[0]
			if !core.ValidName(name) {
				return fmt.Errorf("function name %q must be a lowercase letter, then up to 62 lowercase letters, digits or dashes", name)
			}
			sc, ok := scaffolds[runtime]
			if !ok {
				return fmt.Errorf("unknown runtime %q: use nodejs or python", runtime)
			}
			if dir == "" {
				dir = name
			}
			files := map[string]string{
				sc.file:        sc.code,
				manifestName:   fmt.Sprintf(manifestTemplate, name, runtime, defaultHandler(runtime)),
				ignoreFileName: ignoreTemplate,
			}
			if err := writeNew(dir, files); err != nil {
				return err
			}
			if a.json() {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"dir": dir, "name": name, "runtime": runtime, "handler": defaultHandler(runtime)})
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "created %s/ (%s): %s, %s, %s\nnext: cd %s && voltrun deploy\n",
				dir, runtime, sc.file, manifestName, ignoreFileName, dir)
			return err
		},
	}
	cmd.Flags().StringVar(&runtime, "runtime", client.RuntimeNode, "nodejs or python")
	cmd.Flags().StringVar(&dir, "dir", "", "folder to create (default: ./NAME)")
	_ = cmd.RegisterFlagCompletionFunc("runtime", cobra.FixedCompletions(
		[]string{client.RuntimeNode, client.RuntimePython}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// writeNew creates dir (which may exist, empty or not) and the files in
// it, refusing to overwrite any file: init must never clobber work.
func writeNew(dir string, files map[string]string) error {
	for name := range files {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists: init never overwrites files; pick another folder with --dir", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", p, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // a source folder the user reads and shares
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) //nolint:gosec // source code, not a secret
		if err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
		_, werr := f.WriteString(content)
		if err := errors.Join(werr, f.Close()); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}
