//go:build linux

package linuxns

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the cgroup file logic against plain directories, so the
// v2 path (what production hosts use) is checked on this v1 machine too.

func readTrim(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestCgroupV2Files(t *testing.T) {
	t.Parallel()
	mount := t.TempDir()
	m, err := newCgroupV2(mount, "voltrun")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{mount, filepath.Join(mount, "voltrun")} {
		if got := readTrim(t, filepath.Join(dir, "cgroup.subtree_control")); got != "+memory +pids +cpu" {
			t.Errorf("%s subtree_control = %q", dir, got)
		}
	}
	g, err := m.Create("abc", cgroupLimits{MemoryBytes: 64 << 20, Pids: 32, CPUQuotaUS: 50000, CPUPeriodUS: 100000})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mount, "voltrun", "abc")
	for file, want := range map[string]string{
		"memory.max": "67108864", "memory.swap.max": "0", "memory.oom.group": "1", "pids.max": "32", "cpu.max": "50000 100000",
	} {
		if got := readTrim(t, filepath.Join(dir, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	// The kernel's event files, as a v2 host writes them.
	os.WriteFile(filepath.Join(dir, "memory.events"), []byte("low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pids.events"), []byte("max 5\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte("10\n11\n"), 0o644)
	if g.OOMKills() != 1 || g.PidsRefusals() != 5 || len(g.Procs()) != 2 {
		t.Errorf("counters: oom %d pids %d procs %v", g.OOMKills(), g.PidsRefusals(), g.Procs())
	}
	var attr syscall.SysProcAttr
	tasks, done, err := g.Prepare(&attr, 100000)
	if err != nil || tasks != nil || !attr.UseCgroupFD || attr.CgroupFD <= 0 {
		t.Fatalf("prepare: tasks %v attr %+v err %v", tasks, attr, err)
	}
	done()
	g.Kill()
	if got := readTrim(t, filepath.Join(dir, "cgroup.kill")); got != "1" {
		t.Errorf("cgroup.kill = %q", got)
	}
	// No limit on CPU when the quota is 0.
	if _, err := m.Create("def", cgroupLimits{MemoryBytes: 1 << 20, Pids: 16, CPUPeriodUS: 100000}); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, filepath.Join(mount, "voltrun", "def", "cpu.max")); got != "max 100000" {
		t.Errorf("unlimited cpu.max = %q", got)
	}
}

func TestCgroupV1Files(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mounts := map[string]string{}
	for _, c := range v1Controllers {
		mounts[c] = filepath.Join(root, c)
		if err := os.MkdirAll(mounts[c], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A stale, empty instance group from a crashed server is cleaned up.
	stale := filepath.Join(mounts["pids"], "voltrun", "stale")
	fresh := filepath.Join(mounts["pids"], "voltrun", "fresh")
	for _, d := range []string{stale, fresh} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	m, err := newCgroupV1(mounts, "voltrun")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale group survived: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh group (maybe a Create in progress) was removed: %v", err)
	}
	g, err := m.Create("abc", cgroupLimits{MemoryBytes: 64 << 20, Pids: 32, CPUQuotaUS: 25000, CPUPeriodUS: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory/voltrun/abc/memory.limit_in_bytes": "67108864",
		"memory/voltrun/abc/memory.swappiness":     "0", // no memsw file: swap accounting off
		"pids/voltrun/abc/pids.max":                "32",
		"cpu/voltrun/abc/cpu.cfs_period_us":        "100000",
		"cpu/voltrun/abc/cpu.cfs_quota_us":         "25000",
	} {
		if got := readTrim(t, filepath.Join(root, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	os.WriteFile(filepath.Join(root, "memory/voltrun/abc/memory.oom_control"), []byte("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 0o644)
	os.WriteFile(filepath.Join(root, "pids/voltrun/abc/pids.events"), []byte("max 2\n"), 0o644)
	if g.OOMKills() != 3 || g.PidsRefusals() != 2 {
		t.Errorf("counters: oom %d pids %d", g.OOMKills(), g.PidsRefusals())
	}
	if os.Geteuid() == 0 {
		for _, c := range v1Controllers {
			os.WriteFile(filepath.Join(mounts[c], "voltrun/abc/tasks"), nil, 0o644)
		}
		tasks, done, err := g.Prepare(&syscall.SysProcAttr{}, 100000)
		if err != nil || len(tasks) != 3 {
			t.Fatalf("prepare: %v %v", tasks, err)
		}
		done()
		for _, p := range tasks {
			if fi, err := os.Stat(p); err != nil || fi.Sys().(*syscall.Stat_t).Uid != 100000 {
				t.Errorf("%s not handed to the sandbox root: %v", p, err)
			}
		}
	}
	// Remove needs empty directories; a real cgroupfs has no regular files.
	for _, c := range v1Controllers {
		entries, _ := os.ReadDir(filepath.Join(mounts[c], "voltrun/abc"))
		for _, e := range entries {
			os.Remove(filepath.Join(mounts[c], "voltrun/abc", e.Name()))
		}
	}
	if err := g.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := g.Remove(context.Background()); err != nil {
		t.Fatalf("second remove: %v", err)
	}
}

// TestCgroupStandby: a standby group gets the low CPU weight, a normal one
// keeps the kernel's default, and Activate restores it.
func TestCgroupStandby(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mounts := map[string]string{}
	for _, c := range v1Controllers {
		mounts[c] = filepath.Join(root, "v1", c)
		if err := os.MkdirAll(mounts[c], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	v1, err := newCgroupV1(mounts, "voltrun")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	v2, err := newCgroupV2(filepath.Join(root, "v2"), "voltrun")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m                cgroupManager
		file, low, their string
	}{
		{v1, filepath.Join(mounts["cpu"], "voltrun", "%s", "cpu.shares"), "64", "1024"},
		{v2, filepath.Join(root, "v2", "voltrun", "%s", "cpu.weight"), "6", "100"},
	} {
		limits := cgroupLimits{MemoryBytes: 1 << 20, Pids: 16, CPUPeriodUS: 100000}
		if _, err := tc.m.Create("normal", limits); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(fmt.Sprintf(tc.file, "normal")); !os.IsNotExist(err) {
			t.Errorf("%s: a normal group's weight was written (%v)", tc.m.Version(), err)
		}
		limits.Standby = true
		g, err := tc.m.Create("spare", limits)
		if err != nil {
			t.Fatal(err)
		}
		if got := readTrim(t, fmt.Sprintf(tc.file, "spare")); got != tc.low {
			t.Errorf("%s: standby weight %q, want %q", tc.m.Version(), got, tc.low)
		}
		if err := g.Activate(); err != nil {
			t.Fatal(err)
		}
		if got := readTrim(t, fmt.Sprintf(tc.file, "spare")); got != tc.their {
			t.Errorf("%s: activated weight %q, want %q", tc.m.Version(), got, tc.their)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	t.Parallel()
	hybrid := `24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
25 24 0:23 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
27 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
28 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
29 25 0:27 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
`
	m, err := parseMountinfo(strings.NewReader(hybrid))
	if err != nil {
		t.Fatal(err)
	}
	if m.V2 != "/sys/fs/cgroup/unified" || m.V1["cpu"] != "/sys/fs/cgroup/cpu,cpuacct" || m.V1["memory"] != "/sys/fs/cgroup/memory" || m.V1["pids"] != "/sys/fs/cgroup/pids" {
		t.Errorf("hybrid: %+v", m)
	}
	m, _ = parseMountinfo(strings.NewReader("30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"))
	if m.V2 != "/sys/fs/cgroup" || len(m.V1) != 0 {
		t.Errorf("unified: %+v", m)
	}
	if v2Controllers(t.TempDir()) {
		t.Error("a hierarchy without cgroup.controllers counted as usable")
	}
}
