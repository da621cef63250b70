//go:build linux

package gvisor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
	"github.com/voltrun/voltrun/internal/sandbox/seccompfilter"
)

// hostInfo is what probing the host found; it is written once, by probe.
type hostInfo struct {
	rs            *runsc
	runtimes      []string
	cgroupVersion string
	cgroupMemory  string // the memory hierarchy's mount point

	rootfs string // shared read-only root skeleton
	opt    string // bootstraps + init, mounted at /opt/voltrun
	images string // snapshot images
	inst   string // one bundle directory per instance
	netns  string // the empty network namespace every sandbox joins
}

// State directory layout.
const (
	dirRunsc  = "runsc"
	dirRootfs = "rootfs"
	dirOpt    = "opt"
	dirImages = "images"
	dirInst   = "instances"
	fileNetns = "netns"
)

func (d *Driver) check() error {
	unavailable := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", sandbox.ErrUnavailable, fmt.Sprintf(format, args...))
	}
	if !hookCalled.Load() {
		return unavailable("gvisor.Reexec was not called at the start of main (or TestMain), so sandboxes cannot start their init")
	}
	path, err := findRunsc(d.opts.RunscPath)
	if err != nil {
		return unavailable("gVisor's runsc is not installed (%v); to install it, %s", err, InstallHint)
	}
	if os.Geteuid() != 0 {
		return unavailable("the gvisor driver needs root: runsc creates namespaces and cgroups for every sandbox (running as uid %d)", os.Geteuid())
	}
	h := hostInfo{rs: &runsc{path: path, root: filepath.Join(d.opts.StateDir, dirRunsc), platform: d.opts.Platform}}
	for _, rt := range [][2]string{{sandbox.RuntimeNode, bootstrap.NodePath}, {sandbox.RuntimePython, bootstrap.PythonPath}} {
		if unix.Access(rt[1], unix.X_OK) == nil {
			h.runtimes = append(h.runtimes, rt[0])
		}
	}
	if len(h.runtimes) == 0 {
		return unavailable("neither %s nor %s is installed", bootstrap.NodePath, bootstrap.PythonPath)
	}
	if h.cgroupVersion, h.cgroupMemory, err = detectCgroups(); err != nil {
		return unavailable("%v", err)
	}
	if err := h.prepare(d.opts.StateDir, d.opts.Init); err != nil {
		return unavailable("prepare %s: %v", d.opts.StateDir, err)
	}
	if slices.Contains(h.runtimes, sandbox.RuntimePython) {
		if err := writePythonCode(h.opt); err != nil {
			d.log.Warn("python sandboxes will compile their bootstrap", zap.Error(err))
		}
	}
	d.host = h
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.StartTimeout)
	defer cancel()
	d.removeStale(ctx)
	if err := d.smokeTest(ctx); err != nil {
		return unavailable("runsc %s cannot start a sandbox here: %v", path, err)
	}
	return nil
}

// detectCgroups finds the memory hierarchy runsc will use: cgroup v2 when
// /sys/fs/cgroup is the unified hierarchy, else the v1 memory controller.
func detectCgroups() (version, memory string, err error) {
	var fs unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &fs); err != nil {
		return "", "", fmt.Errorf("cgroups are not mounted at /sys/fs/cgroup: %w", err)
	}
	if fs.Type == unix.CGROUP2_SUPER_MAGIC {
		ctrl, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		if err != nil || !strings.Contains(string(ctrl), "memory") {
			return "", "", fmt.Errorf("the cgroup v2 hierarchy has no memory controller (%q)", bytes.TrimSpace(ctrl))
		}
		return "v2", "/sys/fs/cgroup", nil
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		return "", "", fmt.Errorf("no cgroup v1 memory controller at /sys/fs/cgroup/memory: %w", err)
	}
	return "v1", "/sys/fs/cgroup/memory", nil
}

// writePythonCode places the compiled Python bootstrap beside its source.
func writePythonCode(dir string) error {
	code, err := runtime.CompilePython()
	if err != nil {
		return err
	}
	return bootstrap.WritePythonCode(dir, code)
}

// prepare lays out the state directory: runsc's root, the shared root
// skeleton, the bootstraps, the init (init, or a copy of this binary) and
// its seccomp filter, and empty snapshot and bundle directories.
func (h *hostInfo) prepare(state string, init []byte) error {
	h.rootfs = filepath.Join(state, dirRootfs)
	h.opt = filepath.Join(state, dirOpt)
	h.images = filepath.Join(state, dirImages)
	h.inst = filepath.Join(state, dirInst)
	h.netns = filepath.Join(state, fileNetns)
	// The state dir holds other tenants' code and snapshots: root only.
	// Sandboxes reach what they need through bind mounts, not paths.
	for _, dir := range []string{state, h.rs.root, h.images, h.inst} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := createEmptyNetns(h.netns); err != nil {
		return err
	}
	if err := buildRootfs(h.rootfs); err != nil {
		return err
	}
	if err := bootstrap.Write(h.opt); err != nil {
		return err
	}
	prog, err := seccompfilter.Program()
	if err != nil {
		return err
	}
	// Root only, as the init that reads it.
	if err := os.WriteFile(filepath.Join(h.opt, gvinit.SeccompName), prog, 0o400); err != nil {
		return fmt.Errorf("write seccomp filter: %w", err)
	}
	// Snapshot images from a previous run are not reused: the binary, the
	// bootstraps or runsc may have changed since.
	if entries, err := os.ReadDir(h.images); err == nil {
		for _, e := range entries {
			_ = os.RemoveAll(filepath.Join(h.images, e.Name()))
		}
	}
	return writeInit(filepath.Join(h.opt, gvinit.Name), init)
}

// writeInit writes init, or a copy of the running executable when it is
// nil, to dst, readable and executable by root only: the init starts as
// root inside the sandbox, and the function's unprivileged user has no
// business reading it.
func writeInit(dst string, init []byte) error {
	var in io.Reader = bytes.NewReader(init)
	if init == nil {
		src, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own executable: %w", err)
		}
		f, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("open own executable: %w", err)
		}
		defer f.Close()
		in = f
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o700) //nolint:gosec // an executable, for root only
	if err != nil {
		return fmt.Errorf("copy init: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return fmt.Errorf("copy init: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy init: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("copy init: %w", err)
	}
	return nil
}

// removeStale deletes what a crashed server left in the state directory:
// stopped containers (their sandboxes exit by themselves once the server's
// end of their request pipe is gone) and their bundles.
func (d *Driver) removeStale(ctx context.Context) {
	rs := d.host.rs
	cmd := rs.command(ctx, "", "list", "--format", "json")
	out, err := cmd.Output()
	if err != nil {
		d.log.Debug("list stale sandboxes", zap.Error(err))
		return
	}
	var list []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	_ = json.Unmarshal(out, &list)
	live := map[string]bool{}
	for _, c := range list {
		if c.Status == "running" || c.Status == "created" {
			live[c.ID] = true
			continue
		}
		if err := rs.delete(ctx, c.ID); err != nil {
			d.log.Debug("delete stale sandbox", zap.Error(err))
		}
	}
	entries, _ := os.ReadDir(d.host.inst)
	for _, e := range entries {
		if !live[e.Name()] {
			_ = os.RemoveAll(filepath.Join(d.host.inst, e.Name()))
		}
	}
}

// smokeTest runs the init in probe mode (loopback, capabilities, seccomp,
// then exit 0) in a real sandbox, so Available fails here rather than every
// Create later (a cgo-built runsc, a platform that hangs, missing cgroups).
func (d *Driver) smokeTest(ctx context.Context) error {
	id := newID()
	dir := filepath.Join(d.host.inst, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("create probe bundle: %w", err)
	}
	defer os.RemoveAll(dir)
	b := bundleConfig{
		spec: sandbox.Spec{Runtime: sandbox.RuntimePython}.WithDefaults(),
		mode: gvinit.ModeProbe, rootfs: d.host.rootfs, optDir: d.host.opt,
		cgroupPath: d.cgroupPath(id), netns: d.host.netns, hostname: d.opts.Hostname, overheadMB: d.opts.MemoryOverheadMB, taskMB: d.opts.TaskOverheadMB,
	}
	if err := b.write(dir); err != nil {
		return err
	}
	defer func() { _ = d.host.rs.delete(context.WithoutCancel(ctx), id) }()
	err := d.host.rs.run(ctx, "", "run", "--bundle", dir, id)
	if err != nil && strings.Contains(err.Error(), "/proc/self/exe") {
		return fmt.Errorf("%w (runsc looks like a cgo build: %s)", err, InstallHint)
	}
	return err
}

// cgroupPath is the cgroupsPath of instance id in its OCI spec.
func (d *Driver) cgroupPath(id string) string {
	return "/" + d.opts.CgroupParent + "/" + id
}
