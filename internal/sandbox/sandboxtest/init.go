package sandboxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// BuildInit builds cmd/voltrun-sandbox-init, once per test binary: the
// standalone init the server embeds, for drivers' Options.Init. It needs
// the go command, as `go test` does.
var BuildInit = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "voltrun-init")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "init")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "github.com/voltrun/voltrun/cmd/voltrun-sandbox-init") //nolint:gosec // out is a temp path made above
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build the sandbox init: %w: %s", err, msg)
	}
	return os.ReadFile(out)
})
