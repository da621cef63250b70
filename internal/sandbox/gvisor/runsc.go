//go:build linux

package gvisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// runsc runs the runsc command line. Every sandbox of one driver shares the
// same state root (--root), so listing or deleting never touches containers
// of another runtime on the host.
type runsc struct {
	path     string
	root     string
	platform string
}

// global returns the flags every runsc invocation takes. They must be the
// same for a checkpoint and its restores.
func (r *runsc) global(logFile string) []string {
	args := []string{
		"--root", r.root,
		"--platform", r.platform,
		// The sandbox process runs in the driver's empty network namespace
		// (see createEmptyNetns), which netstack mirrors: an lo with no
		// addresses. --network=none would add 127.0.0.1 back on restore.
		"--network", "sandbox",
		// The root is a read-only skeleton; without this runsc would lay a
		// writable in-memory overlay over it.
		"--overlay2", "none",
		"--host-uds", "none",
		"--host-fifo", "none",
	}
	if logFile != "" {
		args = append(args, "--log", logFile)
	}
	return args
}

// command builds a runsc invocation; logFile receives runsc's own messages.
func (r *runsc) command(ctx context.Context, logFile string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.path, append(r.global(logFile), args...)...) //nolint:gosec // the operator's runsc
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	// runsc starts a sandbox and a gofer that outlive it: never let the
	// cancellation of a start-up wait for them.
	cmd.WaitDelay = 0
	return cmd
}

// run runs a runsc command to completion and returns its error with what it
// printed (or logged).
func (r *runsc) run(ctx context.Context, logFile string, args ...string) error {
	cmd := r.command(ctx, logFile, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return r.failure(args[0], err, out.String(), logFile)
	}
	return nil
}

// failure describes a failed runsc command using its output or, when its
// stdio belonged to the sandbox, the tail of its log file.
func (r *runsc) failure(sub string, err error, output, logFile string) error {
	msg := strings.TrimSpace(output)
	if msg == "" && logFile != "" {
		msg = logTail(logFile)
	}
	if msg != "" {
		return fmt.Errorf("runsc %s: %w: %s", sub, err, msg)
	}
	return fmt.Errorf("runsc %s: %w", sub, err)
}

// logTail returns the last lines of a runsc log, where it writes its errors.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-3):], " | ")
}

// delete removes a container: it kills what is left of the sandbox and its
// gofer, and removes runsc's state and the container's cgroups. A container
// that does not exist (never created, or already deleted) is not an error.
func (r *runsc) delete(ctx context.Context, id string) error {
	cmd := r.command(ctx, "", "delete", "--force", id)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if strings.Contains(out.String(), "does not exist") || strings.Contains(out.String(), "not exist") {
			return nil
		}
		return r.failure("delete", err, out.String(), "")
	}
	return nil
}

// errRunscMissing is returned by findRunsc.
var errRunscMissing = errors.New("runsc not found")

// findRunsc resolves the runsc binary: the configured path, else PATH, else
// $GOPATH/bin (where scripts/install-runsc.sh puts it).
func findRunsc(configured string) (string, error) {
	if configured != "" {
		if _, err := os.Stat(configured); err != nil {
			return "", fmt.Errorf("%w at %s: %w", errRunscMissing, configured, err)
		}
		return configured, nil
	}
	if p, err := exec.LookPath("runsc"); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "runsc")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() { //nolint:gosec // GOPATH is the operator's own environment
			return p, nil
		}
	}
	return "", fmt.Errorf("%w on PATH or in $GOPATH/bin", errRunscMissing)
}
