//go:build linux

package linuxns

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// cgroupV2 manages groups on the unified hierarchy: <mount>/<parent>/<name>
// with the memory, pids and cpu controllers delegated from the root.
type cgroupV2 struct {
	parent string
}

func newCgroupV2(mount, parent string) (*cgroupV2, error) {
	dir := filepath.Join(mount, parent)
	// Controllers must be enabled in every ancestor's subtree_control. The
	// root cgroup is exempt from the "no internal processes" rule; a
	// delegated non-root mount (a container's cgroup namespace) must have
	// them enabled already, which the write then confirms.
	if err := writeFile(filepath.Join(mount, "cgroup.subtree_control"), "+memory +pids +cpu"); err != nil {
		return nil, fmt.Errorf("enable cgroup v2 controllers at %s: %w", mount, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // cgroupfs directories are conventionally 0755
		return nil, fmt.Errorf("create cgroup v2 parent: %w", err)
	}
	if err := writeFile(filepath.Join(dir, "cgroup.subtree_control"), "+memory +pids +cpu"); err != nil {
		return nil, fmt.Errorf("enable cgroup v2 controllers at %s: %w", dir, err)
	}
	cleanStale(dir)
	return &cgroupV2{parent: dir}, nil
}

func (m *cgroupV2) Version() string { return "v2" }

func (m *cgroupV2) Create(name string, l cgroupLimits) (cgroup, error) {
	g := &groupV2{dir: filepath.Join(m.parent, name)}
	if err := os.Mkdir(g.dir, 0o755); err != nil { //nolint:gosec // cgroupfs directories are conventionally 0755
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	if err := g.limit(l); err != nil {
		_ = g.Remove(context.Background())
		return nil, err
	}
	return g, nil
}

type groupV2 struct {
	dir     string
	removed bool
}

func (g *groupV2) limit(l cgroupLimits) error {
	if err := writeFile(filepath.Join(g.dir, "memory.max"), strconv.FormatInt(l.MemoryBytes, 10)); err != nil {
		return fmt.Errorf("set memory limit: %w", err)
	}
	// memory.swap.max is absent without swap accounting; then there is
	// no swap to disable.
	swap := filepath.Join(g.dir, "memory.swap.max")
	if err := writeFile(swap, "0"); err != nil {
		if _, serr := os.Stat(swap); !errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("disable swap: %w", err)
		}
	}
	// An OOM kill takes the whole group at once instead of leaving a
	// runtime whose child (or thread) was picked.
	group := filepath.Join(g.dir, "memory.oom.group")
	if err := writeFile(group, "1"); err != nil {
		if _, serr := os.Stat(group); !errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("set oom group: %w", err)
		}
	}
	if err := writeFile(filepath.Join(g.dir, "pids.max"), strconv.Itoa(l.Pids)); err != nil {
		return fmt.Errorf("set pids limit: %w", err)
	}
	cpu := "max " + strconv.FormatInt(l.CPUPeriodUS, 10)
	if l.CPUQuotaUS > 0 {
		cpu = strconv.FormatInt(l.CPUQuotaUS, 10) + " " + strconv.FormatInt(l.CPUPeriodUS, 10)
	}
	if err := writeFile(filepath.Join(g.dir, "cpu.max"), cpu); err != nil {
		return fmt.Errorf("set cpu limit: %w", err)
	}
	if l.Standby {
		if err := writeFile(filepath.Join(g.dir, "cpu.weight"), cpuWeightStandby); err != nil {
			return fmt.Errorf("set standby cpu weight: %w", err)
		}
	}
	return nil
}

// CPU weights (cpu.weight) of a standby group and of a working one (the
// kernel's default), in the ratio of v1's (cgroup_v1.go).
const (
	cpuWeightStandby = "6"
	cpuWeightNormal  = "100"
)

func (g *groupV2) Activate() error {
	if err := writeFile(filepath.Join(g.dir, "cpu.weight"), cpuWeightNormal); err != nil {
		return fmt.Errorf("set cpu weight: %w", err)
	}
	return nil
}

func (g *groupV2) Prepare(attr *syscall.SysProcAttr, _ int) ([]string, func(), error) {
	fd, err := syscall.Open(g.dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open cgroup: %w", err)
	}
	attr.UseCgroupFD, attr.CgroupFD = true, fd
	return nil, func() { _ = syscall.Close(fd) }, nil
}

func (g *groupV2) OOMKills() uint64 {
	return readKey(filepath.Join(g.dir, "memory.events"), "oom_kill")
}

func (g *groupV2) PidsRefusals() uint64 {
	return readKey(filepath.Join(g.dir, "pids.events"), "max")
}

func (g *groupV2) MemoryBytes() (uint64, error) {
	return readUint(filepath.Join(g.dir, "memory.current"))
}

func (g *groupV2) Procs() []int { return readProcs(g.dir) }

// Kill uses cgroup.kill (Linux 5.14+), which kills atomically without
// racing pid reuse.
func (g *groupV2) Kill() {
	_ = writeFile(filepath.Join(g.dir, "cgroup.kill"), "1")
}

func (g *groupV2) Remove(ctx context.Context) error {
	if g.removed {
		return nil
	}
	if err := removeDir(ctx, g.dir); err != nil {
		return err
	}
	g.removed = true
	return nil
}
