package runtime

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
)

// compileScript writes the magic number of the interpreter running it, then
// the marshalled code object of the source on stdin compiled as argv[1].
const compileScript = `import marshal, sys, _frozen_importlib_external as e
sys.stdout.buffer.write(e.MAGIC_NUMBER + marshal.dumps(compile(sys.stdin.buffer.read(), sys.argv[1], "exec")))`

// CompilePython compiles the Python bootstrap with the host's interpreter,
// the one sandboxes run (they see the host's /usr read-only), for drivers
// to place beside the source (bootstrap.WritePythonCode). Each sandbox then
// skips compiling it, about a quarter of a bare interpreter's start. The
// code is compiled as Dir/bootstrap.py, the path its stack frames carry.
func CompilePython() ([]byte, error) {
	cmd := exec.Command(bootstrap.PythonPath, "-I", "-S", "-B", "-c", compileScript, filepath.Join(bootstrap.Dir, "bootstrap.py")) //nolint:gosec // fixed interpreter and script
	cmd.Stdin = strings.NewReader(bootstrap.PythonSource())
	cmd.Env = bootstrap.BaseEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("compile the python bootstrap: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if len(out) < 5 {
		return nil, fmt.Errorf("compile the python bootstrap: %d bytes of output", len(out))
	}
	return out, nil
}
