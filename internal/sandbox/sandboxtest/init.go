package sandboxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// BuildInit builds cmd/voltrun-sandbox-init, once per test binary: the
// standalone init the server embeds, for gvisor's Options.Init. It needs
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

// BuildNSInit builds cmd/voltrun-nsinit, once per test binary: the linuxns
// sandbox init the server embeds, for linuxns.Options.NSInit. It needs the
// go command (to find the module) and a C compiler with a static libc.
var BuildNSInit = sync.OnceValues(func() ([]byte, error) {
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		return nil, fmt.Errorf("find the module: %w", err)
	}
	dir, err := os.MkdirTemp("", "voltrun-nsinit")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "nsinit")
	script := filepath.Join(strings.TrimSpace(string(root)), "scripts", "build-nsinit.sh")
	if msg, err := exec.Command("bash", script, out).CombinedOutput(); err != nil { //nolint:gosec // the module's own script
		return nil, fmt.Errorf("build the sandbox init: %w: %s", err, msg)
	}
	return os.ReadFile(out)
})
