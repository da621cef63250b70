package runtime

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/voltrun/voltrun/internal/sandbox"
)

//go:embed bootstrap/bootstrap.cjs bootstrap/bootstrap.py
var bootstraps embed.FS

// Paths inside a sandbox.
const (
	// BootstrapDir is where drivers place the bootstraps, read-only.
	BootstrapDir = "/opt/voltrun"
	// TaskRoot is where the function's code is mounted, read-only.
	TaskRoot = "/var/task"
)

const (
	nodeBootstrap   = "bootstrap.cjs"
	pythonBootstrap = "bootstrap.py"
)

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
// bootstraps in bootDir (BootstrapDir inside a sandbox). memoryMB sizes
// Node's old-space heap below the sandbox's memory limit so V8 collects
// garbage before the kernel's OOM killer would strike.
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
		// are live; -B: the root is read-only anyway.
		return Command{
			Path: PythonPath,
			Args: []string{"python3", "-I", "-S", "-u", "-B", filepath.Join(bootDir, pythonBootstrap)},
			Env:  BaseEnv(),
		}, nil
	}
	return Command{}, fmt.Errorf("%w: unknown runtime %q", sandbox.ErrInvalidSpec, rt)
}

// WriteBootstraps writes the embedded bootstraps into dir (created if
// needed), world-readable.
func WriteBootstraps(dir string) error {
	// World-readable on purpose: the sandbox's unprivileged user runs them.
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // see above
		return fmt.Errorf("write bootstraps: %w", err)
	}
	for _, name := range []string{nodeBootstrap, pythonBootstrap} {
		b, err := bootstraps.ReadFile("bootstrap/" + name)
		if err != nil {
			return fmt.Errorf("write bootstraps: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o444); err != nil { //nolint:gosec // see above
			return fmt.Errorf("write bootstraps: %w", err)
		}
	}
	return nil
}
