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

// cgroupV1 manages groups on cgroup v1 hierarchies: one directory per
// controller (memory, pids, cpu) under <mount>/<parent>/<name>.
type cgroupV1 struct {
	parents map[string]string // controller → <mount>/<parent>
}

var v1Controllers = []string{"memory", "pids", "cpu"}

func newCgroupV1(mounts map[string]string, parent string) (*cgroupV1, error) {
	m := &cgroupV1{parents: map[string]string{}}
	for _, c := range v1Controllers {
		dir := filepath.Join(mounts[c], parent)
		if err := os.MkdirAll(dir, 0o755); err != nil { //nolint:gosec // the sandbox init (another uid) must reach its tasks files
			return nil, fmt.Errorf("create cgroup v1 parent: %w", err)
		}
		cleanStale(dir)
		m.parents[c] = dir
	}
	return m, nil
}

func (m *cgroupV1) Version() string { return "v1" }

func (m *cgroupV1) Create(name string, l cgroupLimits) (cgroup, error) {
	g := &groupV1{dirs: map[string]string{}}
	for _, c := range v1Controllers {
		dir := filepath.Join(m.parents[c], name)
		if err := os.Mkdir(dir, 0o755); err != nil { //nolint:gosec // idem
			_ = g.Remove(context.Background())
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		g.dirs[c] = dir
	}
	if err := g.limit(l); err != nil {
		_ = g.Remove(context.Background())
		return nil, err
	}
	return g, nil
}

type groupV1 struct {
	dirs map[string]string
}

func (g *groupV1) limit(l cgroupLimits) error {
	mem := g.dirs["memory"]
	bytes := strconv.FormatInt(l.MemoryBytes, 10)
	if err := writeFile(filepath.Join(mem, "memory.limit_in_bytes"), bytes); err != nil {
		return fmt.Errorf("set memory limit: %w", err)
	}
	// memsw (memory+swap) exists only with swap accounting; set it equal
	// so the instance cannot swap. Without it, keep swapping off.
	if _, err := os.Stat(filepath.Join(mem, "memory.memsw.limit_in_bytes")); err == nil {
		if err := writeFile(filepath.Join(mem, "memory.memsw.limit_in_bytes"), bytes); err != nil {
			return fmt.Errorf("set memory+swap limit: %w", err)
		}
	} else if err := writeFile(filepath.Join(mem, "memory.swappiness"), "0"); err != nil {
		return fmt.Errorf("set swappiness: %w", err)
	}
	if err := writeFile(filepath.Join(g.dirs["pids"], "pids.max"), strconv.Itoa(l.Pids)); err != nil {
		return fmt.Errorf("set pids limit: %w", err)
	}
	if l.Standby {
		if err := writeFile(filepath.Join(g.dirs["cpu"], "cpu.shares"), cpuSharesStandby); err != nil {
			return fmt.Errorf("set standby cpu weight: %w", err)
		}
	}
	if l.CPUQuotaUS > 0 {
		cpu := g.dirs["cpu"]
		if err := writeFile(filepath.Join(cpu, "cpu.cfs_period_us"), strconv.FormatInt(l.CPUPeriodUS, 10)); err != nil {
			return fmt.Errorf("set cpu period: %w", err)
		}
		if err := writeFile(filepath.Join(cpu, "cpu.cfs_quota_us"), strconv.FormatInt(l.CPUQuotaUS, 10)); err != nil {
			return fmt.Errorf("set cpu quota: %w", err)
		}
	}
	return nil
}

// CPU weights (cpu.shares) of a standby group and of a working one (the
// kernel's default). A sixteenth: calls in flight keep the CPU, and spares
// still boot, slowly, on a saturated host.
const (
	cpuSharesStandby = "64"
	cpuSharesNormal  = "1024"
)

func (g *groupV1) Activate() error {
	if err := writeFile(filepath.Join(g.dirs["cpu"], "cpu.shares"), cpuSharesNormal); err != nil {
		return fmt.Errorf("set cpu weight: %w", err)
	}
	return nil
}

func (g *groupV1) Prepare(_ *syscall.SysProcAttr, ownerUID int) ([]string, func(), error) {
	tasks := make([]string, 0, len(v1Controllers))
	for _, c := range v1Controllers {
		p := filepath.Join(g.dirs[c], "tasks")
		if err := os.Lchown(p, ownerUID, ownerUID); err != nil {
			return nil, nil, fmt.Errorf("delegate %s cgroup: %w", c, err)
		}
		tasks = append(tasks, p)
	}
	return tasks, func() {}, nil
}

func (g *groupV1) OOMKills() uint64 {
	return readKey(filepath.Join(g.dirs["memory"], "memory.oom_control"), "oom_kill")
}

func (g *groupV1) PidsRefusals() uint64 {
	return readKey(filepath.Join(g.dirs["pids"], "pids.events"), "max")
}

func (g *groupV1) MemoryBytes() (uint64, error) {
	return readUint(filepath.Join(g.dirs["memory"], "memory.usage_in_bytes"))
}

func (g *groupV1) Procs() []int { return readProcs(g.dirs["pids"]) }

func (g *groupV1) Kill() {}

func (g *groupV1) Remove(ctx context.Context) error {
	var errs []error
	for c, dir := range g.dirs {
		if err := removeDir(ctx, dir); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(g.dirs, c)
	}
	return errors.Join(errs...)
}
