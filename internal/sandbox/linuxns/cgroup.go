//go:build linux

package linuxns

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupLimits are the per-instance limits.
type cgroupLimits struct {
	MemoryBytes int64
	Pids        int
	CPUQuotaUS  int64 // per CPUPeriodUS; 0 means unlimited
	CPUPeriodUS int64
	Standby     bool // lowest CPU weight until Activate
}

// cgroupManager creates per-instance cgroups under VoltRun's parent group.
type cgroupManager interface {
	Version() string
	// Create makes the instance's group(s) and applies the limits.
	Create(name string, l cgroupLimits) (cgroup, error)
}

// cgroup is one instance's group (one directory per controller on v1).
type cgroup interface {
	// Prepare arranges for the sandbox init to start inside the group, so
	// that nothing it starts runs outside it. v2 sets CLONE_INTO_CGROUP on
	// attr (no migration at all). v1 hands the group's tasks files to
	// ownerUID and returns their paths: the init writes "0" to them to move
	// its forking thread itself, which skips the global lock a migration
	// by pid takes (milliseconds of synchronize_rcu per start). done
	// releases what Prepare opened once the init has started.
	Prepare(attr *syscall.SysProcAttr, ownerUID int) (tasks []string, done func(), err error)
	// OOMKills counts processes killed by the OOM killer in the group.
	OOMKills() uint64
	// PidsRefusals counts forks refused by pids.max.
	PidsRefusals() uint64
	// MemoryBytes is the group's memory use now (page cache included).
	MemoryBytes() (uint64, error)
	// Procs lists the pids in the group (host pid namespace).
	Procs() []int
	// Activate gives a standby group the normal CPU weight.
	Activate() error
	// Kill kills every process in the group where the kernel offers an
	// atomic way (v2 cgroup.kill); on v1 it is a no-op and killing the
	// namespace's init does the job.
	Kill()
	// Remove deletes the group, retrying while it drains, until ctx ends.
	Remove(ctx context.Context) error
}

// writeFile writes a cgroup control file. O_CREATE only matters for the
// unit tests, which run against a plain directory.
func writeFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644) //nolint:gosec // cgroupfs decides its files' modes
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readKey returns the value of "key N" in a flat-keyed cgroup file
// (memory.events, memory.oom_control, pids.events).
func readKey(path, key string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// readUint reads a file holding one number.
func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("linuxns: read %s: %w", path, err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("linuxns: parse %s: %w", path, err)
	}
	return n, nil
}

func readProcs(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			pids = append(pids, n)
		}
	}
	return pids
}

// removeDir rmdirs a cgroup directory, retrying while tasks drain (EBUSY).
func removeDir(ctx context.Context, dir string) error {
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("remove cgroup %s: %w (%w)", dir, err, ctx.Err())
		case <-time.After(delay):
		}
	}
}

// staleAge is how old an instance group must be before cleanStale may
// remove it: younger ones may belong to a Create in progress in another
// driver of this process (a group is empty between mkdir and the init
// joining it).
const staleAge = time.Minute

// cleanStale removes leftover empty instance groups under parent (from a
// crashed server). Groups with processes are left alone (rmdir refuses).
func cleanStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && e.IsDir() && time.Since(fi.ModTime()) > staleAge {
			_ = os.Remove(filepath.Join(parent, e.Name()))
		}
	}
}

// cgroupMounts are the cgroup hierarchies found in a mountinfo file.
type cgroupMounts struct {
	V2 string            // mount point of the cgroup2 hierarchy, if any
	V1 map[string]string // controller → mount point
}

// parseMountinfo finds cgroup mounts in /proc/self/mountinfo's format.
func parseMountinfo(r io.Reader) (cgroupMounts, error) {
	m := cgroupMounts{V1: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint opts [optional...] - fstype source superopts
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		switch g[0] {
		case "cgroup2":
			if m.V2 == "" {
				m.V2 = f[4]
			}
		case "cgroup":
			for _, opt := range strings.Split(g[2], ",") {
				if slices.Contains([]string{"memory", "pids", "cpu"}, opt) {
					if _, seen := m.V1[opt]; !seen {
						m.V1[opt] = f[4]
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("parse mountinfo: %w", err)
	}
	return m, nil
}

// v2Controllers reports whether a cgroup2 mount offers what we need.
func v2Controllers(mount string) bool {
	b, err := os.ReadFile(filepath.Join(mount, "cgroup.controllers"))
	if err != nil {
		return false
	}
	have := strings.Fields(string(b))
	return slices.Contains(have, "memory") && slices.Contains(have, "pids") && slices.Contains(have, "cpu")
}

// detectCgroups picks v2 when its hierarchy has the memory, pids and cpu
// controllers, else v1 (hybrid hosts such as our build machines, whose
// unified hierarchy has no controllers), and prepares the parent group.
func detectCgroups(parent string) (cgroupManager, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("detect cgroups: %w", err)
	}
	defer f.Close()
	m, err := parseMountinfo(f)
	if err != nil {
		return nil, fmt.Errorf("detect cgroups: %w", err)
	}
	if m.V2 != "" && v2Controllers(m.V2) {
		return newCgroupV2(m.V2, parent)
	}
	if m.V1["memory"] != "" && m.V1["pids"] != "" && m.V1["cpu"] != "" {
		return newCgroupV1(m.V1, parent)
	}
	return nil, errors.New("no usable cgroup hierarchy: need cgroup v2 with memory, pids and cpu controllers, or v1 memory, pids and cpu hierarchies")
}
