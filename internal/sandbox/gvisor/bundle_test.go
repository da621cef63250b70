//go:build linux

package gvisor

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

// TestBundleLimits checks the OCI spec's limits and lockdown without a
// sandbox: the suite proves they work, this pins how they are expressed.
func TestBundleLimits(t *testing.T) {
	spec := sandbox.Spec{Runtime: sandbox.RuntimeNode, MemoryMB: 256, MaxProcs: 40, TmpSizeMB: 16, CPUShare: 0.5}
	b := bundleConfig{
		spec: spec, mode: gvinit.ModeRun, rootfs: "/state/rootfs", optDir: "/state/opt", codeDir: "/code",
		cgroupPath: "/voltrun-gvisor/x", netns: "/state/netns", hostname: "voltrun", overheadMB: 32, taskMB: 3,
	}
	dir := t.TempDir()
	if err := b.write(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s ociSpec
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if want := int64(256+32+3*40) << 20; s.Linux.Resources.Memory.Limit != want || s.Linux.Resources.Memory.Swap != want {
		t.Errorf("memory %+v, want limit = swap = %d", s.Linux.Resources.Memory, want)
	}
	if s.Linux.Resources.CPU.Quota != 50000 || s.Linux.Resources.CPU.Period != 100000 {
		t.Errorf("cpu %+v", s.Linux.Resources.CPU)
	}
	if s.Linux.Resources.Pids.Limit < 4*40 {
		t.Errorf("host pids limit %d is too small for gVisor's own threads", s.Linux.Resources.Pids.Limit)
	}
	if !slices.Contains(s.Process.Rlimits, ociRlimit{Type: "RLIMIT_NPROC", Hard: 40, Soft: 40}) {
		t.Errorf("rlimits %+v lack RLIMIT_NPROC 40", s.Process.Rlimits)
	}
	if !s.Root.Readonly || !s.Process.NoNewPrivileges || s.Process.User.UID != 0 {
		t.Errorf("root readonly %v, no_new_privs %v, init uid %d", s.Root.Readonly, s.Process.NoNewPrivileges, s.Process.User.UID)
	}
	if want := []string{gvinit.Path, gvinit.ModeRun, sandbox.RuntimeNode, "256"}; !slices.Equal(s.Process.Args, want) {
		t.Errorf("args %q, want %q", s.Process.Args, want)
	}
	if !slices.Contains(s.Linux.Namespaces, ociNamespace{Type: "network", Path: "/state/netns"}) {
		t.Errorf("namespaces %+v: the sandbox must join the driver's empty network namespace", s.Linux.Namespaces)
	}
	mounts := map[string]ociMount{}
	for _, m := range s.Mounts {
		mounts[m.Destination] = m
	}
	for _, dst := range []string{"/usr", bootstrap.Dir, bootstrap.TaskRoot} {
		if m := mounts[dst]; m.Type != "bind" || !slices.Contains(m.Options, "ro") {
			t.Errorf("%s: %+v, want a read-only bind", dst, m)
		}
	}
	if m := mounts[bootstrap.TaskRoot]; m.Source != "/code" {
		t.Errorf("code mount %+v", m)
	}
	if m := mounts["/tmp"]; m.Type != "tmpfs" || !slices.Contains(m.Options, "size=16m") {
		t.Errorf("/tmp: %+v", m)
	}
	if m := mounts["/sys"]; m.Type != "tmpfs" || !slices.Contains(m.Options, "ro") {
		t.Errorf("/sys: %+v, want an empty read-only tmpfs", m)
	}
}

func TestFindRunscMissing(t *testing.T) {
	d := New(Options{RunscPath: filepath.Join(t.TempDir(), "no-runsc"), StateDir: t.TempDir()})
	hookCalled.Store(true) // as TestMain does
	err := d.Available()
	if err == nil {
		t.Fatal("available without runsc")
	}
	if !errors.Is(err, sandbox.ErrUnavailable) || !strings.Contains(err.Error(), "scripts/install-runsc.sh") || !strings.Contains(err.Error(), "CGO_ENABLED=0 go install gvisor.dev/gvisor/runsc@") {
		t.Errorf("the error should wrap ErrUnavailable and say how to install runsc: %v", err)
	}
}
