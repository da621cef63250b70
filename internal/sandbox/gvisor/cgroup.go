//go:build linux

package gvisor

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// runsc creates and removes the sandbox's host cgroups itself (from the OCI
// spec's cgroupsPath and resources); the driver only reads them: the OOM
// kill counter to name a death, and the member pids for Procs.

// cgroupDir is the instance's group in the memory hierarchy.
func (i *instance) cgroupDir() string {
	return filepath.Join(i.d.host.cgroupMemory, i.d.cgroupPath(i.id))
}

// oomKills returns how many processes of the sandbox the host's OOM killer
// killed (the whole sandbox dies with the first), or 0 if unknown.
func (i *instance) oomKills() int {
	name, key := "memory.oom_control", "oom_kill" // v1
	if i.d.host.cgroupVersion == "v2" {
		name = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(i.cgroupDir(), name))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// cgroupProcs lists the pids in the group at dir (none once it is gone).
func cgroupProcs(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
