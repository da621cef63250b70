//go:build linux

package gvisor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

// The subset of the OCI runtime spec (config.json) the driver writes.
type (
	ociSpec struct {
		OCIVersion string     `json:"ociVersion"`
		Process    ociProcess `json:"process"`
		Root       ociRoot    `json:"root"`
		Hostname   string     `json:"hostname"`
		Mounts     []ociMount `json:"mounts"`
		Linux      ociLinux   `json:"linux"`
	}
	ociProcess struct {
		User            ociUser     `json:"user"`
		Args            []string    `json:"args"`
		Env             []string    `json:"env"`
		Cwd             string      `json:"cwd"`
		Capabilities    ociCaps     `json:"capabilities"`
		Rlimits         []ociRlimit `json:"rlimits"`
		NoNewPrivileges bool        `json:"noNewPrivileges"`
	}
	ociUser struct {
		UID uint32 `json:"uid"`
		GID uint32 `json:"gid"`
	}
	ociCaps struct {
		Bounding    []string `json:"bounding"`
		Effective   []string `json:"effective"`
		Permitted   []string `json:"permitted"`
		Inheritable []string `json:"inheritable"`
		Ambient     []string `json:"ambient"`
	}
	ociRlimit struct {
		Type string `json:"type"`
		Hard uint64 `json:"hard"`
		Soft uint64 `json:"soft"`
	}
	ociRoot struct {
		Path     string `json:"path"`
		Readonly bool   `json:"readonly"`
	}
	ociMount struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	}
	ociLinux struct {
		Namespaces  []ociNamespace `json:"namespaces"`
		Resources   ociResources   `json:"resources"`
		CgroupsPath string         `json:"cgroupsPath"`
	}
	ociNamespace struct {
		Type string `json:"type"`
		Path string `json:"path,omitempty"`
	}
	ociResources struct {
		Memory ociMemory `json:"memory"`
		CPU    ociCPU    `json:"cpu"`
		Pids   ociPids   `json:"pids"`
	}
	ociMemory struct {
		Limit int64 `json:"limit"`
		Swap  int64 `json:"swap"`
	}
	ociCPU struct {
		Quota  int64  `json:"quota"`
		Period uint64 `json:"period"`
	}
	ociPids struct {
		Limit int64 `json:"limit"`
	}
)

// initCaps are what the init holds inside the sentry until it drops them:
// removing loopback addresses, switching to the sandbox users, emptying the
// bounding set. The runtime gets none.
var initCaps = []string{"CAP_NET_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"}

// hostPidsLimit is the host cgroup's pids.max for one sandbox. The limit the
// function sees is Spec.MaxProcs, enforced by the sentry (RLIMIT_NPROC);
// this one only bounds gVisor's own host threads and stub processes, which
// grow with the number of application threads. A small value here crashes
// gVisor itself, so it is generous.
func hostPidsLimit(maxProcs int) int64 { return int64(4*maxProcs + 256) }

// bundleConfig describes one instance's config.json.
type bundleConfig struct {
	spec       sandbox.Spec
	mode       string // gvinit.ModeRun or gvinit.ModeProbe
	rootfs     string // shared read-only root skeleton
	optDir     string // bootstraps and the init binary
	codeDir    string // "" for the probe
	cgroupPath string
	netns      string // the driver's empty network namespace
	hostname   string
	overheadMB int // fixed, plus taskMB for every allowed task
	taskMB     int
}

func (b bundleConfig) oci() ociSpec {
	s := b.spec
	args := []string{gvinit.Path, b.mode}
	if b.mode == gvinit.ModeRun {
		args = append(args, s.Runtime, strconv.Itoa(s.MemoryMB))
	}
	nproc := uint64(max(s.MaxProcs, sandbox.MinMaxProcs)) //nolint:gosec // validated positive
	mounts := []ociMount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "nodev", "noexec"}},
		// An empty read-only sysfs stand-in: gVisor mounts its own /sys
		// unless the spec has one, and functions have no use for it.
		{Destination: "/sys", Type: "tmpfs", Source: "tmpfs", Options: []string{"ro", "nosuid", "nodev", "noexec", "mode=0555", "size=4k"}},
		{Destination: "/usr", Type: "bind", Source: "/usr", Options: []string{"rbind", "ro", "nosuid", "nodev"}},
		{Destination: bootstrap.Dir, Type: "bind", Source: b.optDir, Options: []string{"bind", "ro", "nosuid", "nodev"}},
		{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{
			"nosuid", "nodev", "mode=1777", "size=" + strconv.Itoa(max(s.TmpSizeMB, 1)) + "m",
		}},
	}
	if b.codeDir != "" {
		mounts = append(mounts, ociMount{Destination: bootstrap.TaskRoot, Type: "bind", Source: b.codeDir, Options: []string{"bind", "ro", "nosuid", "nodev"}})
	}
	mem := int64(s.MemoryMB+b.overheadMB+b.taskMB*s.MaxProcs) << 20
	spec := ociSpec{
		OCIVersion: "1.0.2",
		Process: ociProcess{
			User: ociUser{UID: 0, GID: 0},
			Args: args,
			// One P: the init only relays output and reaps, and every thread
			// it has is state a restore must load.
			Env: []string{"PATH=/usr/bin:/bin", "GOMAXPROCS=1", gvinit.EnvKey + "=" + gvinit.EnvVal},
			Cwd: "/",
			Capabilities: ociCaps{
				Bounding: initCaps, Effective: initCaps, Permitted: initCaps,
				Inheritable: []string{}, Ambient: []string{},
			},
			Rlimits: []ociRlimit{
				{Type: "RLIMIT_NPROC", Hard: nproc, Soft: nproc},
				{Type: "RLIMIT_NOFILE", Hard: 65536, Soft: 65536},
				{Type: "RLIMIT_CORE", Hard: 0, Soft: 0},
			},
			NoNewPrivileges: true,
		},
		Root:     ociRoot{Path: b.rootfs, Readonly: true},
		Hostname: b.hostname,
		Mounts:   mounts,
		Linux: ociLinux{
			Namespaces: []ociNamespace{{Type: "pid"}, {Type: "network", Path: b.netns}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}},
			Resources: ociResources{
				Memory: ociMemory{Limit: mem, Swap: mem},
				CPU:    ociCPU{Quota: int64(s.CPUShare * 100000), Period: 100000},
				Pids:   ociPids{Limit: hostPidsLimit(s.MaxProcs)},
			},
			CgroupsPath: b.cgroupPath,
		},
	}
	return spec
}

// write writes config.json into dir.
func (b bundleConfig) write(dir string) error {
	data, err := json.MarshalIndent(b.oci(), "", "  ")
	if err != nil {
		return fmt.Errorf("encode OCI spec: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		return fmt.Errorf("write OCI spec: %w", err)
	}
	return nil
}

// Files of the synthesized /etc: users and hosts, never the host's own.
var etcFiles = map[string]string{ //nolint:gosec // a passwd file without password hashes, not credentials
	"passwd":        "root:x:0:0:root:/root:/usr/sbin/nologin\nsbx:x:1000:1000:sandbox:/tmp:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"group":         "root:x:0:\nsbx:x:1000:\nnogroup:x:65534:\n",
	"hosts":         "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
	"nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
	"hostname":      "voltrun\n",
}

// buildRootfs creates the root skeleton every sandbox shares, read-only:
// mount points, links into /usr (bin, lib, lib64, sbin, as on merged-/usr
// hosts) and the synthesized /etc.
func buildRootfs(dir string) error {
	for _, d := range []string{"usr", "etc", "tmp", "proc", "sys", "dev", "var/task", "opt/voltrun"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil { //nolint:gosec // the sandbox's root: its users must traverse it
			return fmt.Errorf("create rootfs: %w", err)
		}
	}
	for _, l := range []string{"bin", "lib", "lib64", "sbin"} {
		if _, err := os.Lstat(filepath.Join("/usr", l)); err != nil {
			continue
		}
		p := filepath.Join(dir, l)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.Symlink("usr/"+l, p); err != nil {
			return fmt.Errorf("create rootfs: %w", err)
		}
	}
	for name, body := range etcFiles {
		if err := os.WriteFile(filepath.Join(dir, "etc", name), []byte(body), 0o644); err != nil { //nolint:gosec // world-readable like any /etc
			return fmt.Errorf("create rootfs /etc: %w", err)
		}
	}
	if err := os.Symlink("/usr/share/zoneinfo/UTC", filepath.Join(dir, "etc/localtime")); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create rootfs /etc: %w", err)
	}
	return nil
}
