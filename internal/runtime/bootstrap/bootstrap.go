package bootstrap

import (
	_ "embed" // the bootstraps
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// The bootstraps are strings, not an embed.FS, so that writing them copies
// nothing onto the heap of each sandbox's init.
var (
	//go:embed bootstrap.cjs
	nodeSource string
	//go:embed bootstrap.py
	pythonSource string
	//go:embed start.py
	pythonStartSource string
)

// Paths inside a sandbox.
const (
	// Dir is where drivers place the bootstraps, read-only.
	Dir = "/opt/voltrun"
	// TaskRoot is where the function's code is mounted, read-only.
	TaskRoot = "/var/task"
)

const (
	nodeBootstrap   = "bootstrap.cjs"
	pythonBootstrap = "bootstrap.py"
	pythonStart     = "start.py"
	// PythonCode is the Python bootstrap compiled by the host (see
	// WritePythonCode), beside its source.
	PythonCode = "bootstrap.pyc"
)

// RelayedOutput is added to a Command's Env by drivers whose host reads
// the sandbox's output through a relay, so that every answer needs drain
// markers on both streams (internal/runtime/doc.go): the Node bootstrap
// then creates stdout and stderr before its ready frame, as a snapshot
// taken then should hold them, instead of on first use.
const RelayedOutput = "VOLTRUN_RELAYED_OUTPUT=1"

// Interpreters as seen inside the sandbox. Debian's python3 is used on
// purpose: a pyenv or venv interpreter elsewhere on the host is not mounted.
const (
	NodePath   = "/usr/bin/node"
	PythonPath = "/usr/bin/python3"
)

// Command is how a driver starts a runtime's bootstrap.
type Command struct {
	Path string
	Args []string // Args[0] is the program name
	Env  []string // the complete environment: nothing is inherited
}

// BaseEnv is the whole environment an interpreter starts with. The server's
// own environment (secrets, DATABASE_URL, NODE_OPTIONS, PYTHONPATH...) is
// never inherited; the function's env arrives later with Load.
func BaseEnv() []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=/tmp",
		"TMPDIR=/tmp",
		"LANG=C.UTF-8",
		"TZ=UTC",
		"LAMBDA_TASK_ROOT=" + TaskRoot,
	}
}

// CommandFor returns the interpreter command for runtime rt, with the
// bootstraps in bootDir (Dir inside a sandbox). memoryMB sizes Node's
// old-space heap below the sandbox's memory limit so V8 collects garbage
// before the kernel's OOM killer would strike. The flag costs Node 20 the
// code cache of its built-in modules (any non-default V8 flag does), so the
// Node bootstrap loads none it can do without; docs/benchmarks.md has the
// measurements.
func CommandFor(rt string, memoryMB int, bootDir string) (Command, error) {
	switch rt {
	case sandbox.RuntimeNode:
		heap := max(16, memoryMB*3/4)
		return Command{
			Path: NodePath,
			Args: []string{"node", "--max-old-space-size=" + strconv.Itoa(heap), filepath.Join(bootDir, nodeBootstrap)},
			Env:  BaseEnv(),
		}, nil
	case sandbox.RuntimePython:
		// -I: ignore PYTHON* variables and the user site; -S: no site
		// module, so packages installed on the host (dist-packages) are not
		// importable and start-up is ~2 ms faster (functions bundle their
		// dependencies in /var/task); -u: unbuffered stdout/stderr so logs
		// are live; -B: the root is read-only anyway. start.py runs the
		// bootstrap from PythonCode when there is one.
		return Command{
			Path: PythonPath,
			Args: []string{"python3", "-I", "-S", "-u", "-B", filepath.Join(bootDir, pythonStart)},
			Env:  BaseEnv(),
		}, nil
	}
	return Command{}, fmt.Errorf("%w: unknown runtime %q", sandbox.ErrInvalidSpec, rt)
}

// File is one bootstrap: its name in Dir and its contents.
type File struct{ Name, Body string }

// Files lists the embedded bootstraps, as Write writes them.
func Files() []File {
	return []File{{nodeBootstrap, nodeSource}, {pythonBootstrap, pythonSource}, {pythonStart, pythonStartSource}}
}

// Write writes the embedded bootstraps into dir (created if needed),
// world-readable.
func Write(dir string) error {
	// World-readable on purpose: the sandbox's unprivileged user runs them.
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // see above
		return fmt.Errorf("write bootstraps: %w", err)
	}
	for _, b := range Files() {
		if err := writeFile(filepath.Join(dir, b.Name), b.Body); err != nil {
			return fmt.Errorf("write bootstraps: %w", err)
		}
	}
	return nil
}

// PythonSource is the Python bootstrap's source, for the host to compile.
func PythonSource() string { return pythonSource }

// WritePythonCode writes the compiled Python bootstrap (the host
// interpreter's magic number, then the marshalled code object of
// PythonSource compiled as Dir/bootstrap.py) into dir, which Write filled.
func WritePythonCode(dir string, code []byte) error {
	if err := writeFile(filepath.Join(dir, PythonCode), string(code)); err != nil {
		return fmt.Errorf("write python bootstrap code: %w", err)
	}
	return nil
}

// writeFile is os.WriteFile for a string, without copying it.
func writeFile(path, body string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o444) //nolint:gosec // see Write
	if err != nil {
		return err
	}
	_, err = f.WriteString(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
