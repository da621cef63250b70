//go:build linux

package gvisor

import (
	"fmt"
	"os"
	goruntime "runtime"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor/loopback"
)

// createEmptyNetns creates a network namespace whose only device is lo, up
// but without addresses or routes, and bind-mounts it at path. Every sandbox
// of the driver runs in it with runsc --network=sandbox, which mirrors the
// namespace's devices into gVisor's netstack: the sandbox sees an "lo" on
// which every connect or send fails with ENETUNREACH, both after a boot and
// after a restore (runsc re-applies the mirrored configuration when it
// restores a snapshot, so removing addresses from inside would not last).
func createEmptyNetns(path string) error {
	for unix.Unmount(path, unix.MNT_DETACH) == nil { // a stale one from a previous run
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return fmt.Errorf("create netns file: %w", err)
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread changes namespace and is discarded
		// when this goroutine ends.
		goruntime.LockOSThread()
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("unshare network namespace: %w", err)
			}
			if err := loopback.Up(); err != nil {
				return err
			}
			if err := loopback.Unplug(); err != nil {
				return err
			}
			self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
			if err := unix.Mount(self, path, "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind-mount network namespace: %w", err)
			}
			return nil
		}()
	}()
	return <-errc
}
