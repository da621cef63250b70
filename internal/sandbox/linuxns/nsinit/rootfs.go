//go:build linux

package nsinit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
)

// stagingDir is where the new root is assembled inside the init's private
// mount namespace before pivot_root (a mount over the host's /tmp there is
// invisible to the host).
const stagingDir = "/tmp"

// codeDirFd is the init's descriptor for the detached read-only mount of the
// host code directory (Config.CodeDir).
const codeDirFd = 6

// buildRoot assembles and enters the sandbox's root filesystem: a small
// read-only tmpfs holding read-only binds of /usr, the code and the
// bootstraps, a synthesized /etc, a minimal /dev, a size-limited /tmp and
// a fresh, partly masked /proc. The host's /etc, /home, /var, /root and
// every other path simply do not exist inside.
func buildRoot(cfg Config) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	r := stagingDir
	if err := unix.Mount("tmpfs", r, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=4m,nr_inodes=4096,mode=0755"); err != nil {
		return fmt.Errorf("mount root tmpfs: %w", err)
	}
	for _, d := range []string{"usr", "var/task", "dev", "tmp", "proc", "etc", "opt"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil { //nolint:gosec // the sandbox's own root: the runtime must traverse it
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	if err := bindReadOnly("/usr", filepath.Join(r, "usr")); err != nil {
		return err
	}
	if err := linkTopDirs(r); err != nil {
		return err
	}
	if cfg.CodeDir {
		if err := unix.MoveMount(codeDirFd, "", unix.AT_FDCWD, filepath.Join(r, "var/task"), unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("attach code dir: %w", err)
		}
	}
	if err := bootstrap.Write(filepath.Join(r, bootstrap.Dir)); err != nil {
		return err
	}
	if len(cfg.PythonCode) > 0 {
		if err := bootstrap.WritePythonCode(filepath.Join(r, bootstrap.Dir), cfg.PythonCode); err != nil {
			return err
		}
	}
	if err := writeEtc(filepath.Join(r, "etc"), cfg); err != nil {
		return err
	}
	if err := buildDev(filepath.Join(r, "dev")); err != nil {
		return err
	}
	tmpOpts := fmt.Sprintf("size=%dm,nr_inodes=%d,mode=1777", cfg.TmpSizeMB, max(1024, cfg.TmpSizeMB*256))
	if err := unix.Mount("tmpfs", filepath.Join(r, "tmp"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, tmpOpts); err != nil {
		return fmt.Errorf("mount /tmp: %w", err)
	}
	// hidepid=2: the user's processes cannot see the init (another uid).
	if err := unix.Mount("proc", filepath.Join(r, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "hidepid=2"); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	if err := maskProc(filepath.Join(r, "proc"), filepath.Join(r, "dev/null")); err != nil {
		return err
	}
	return pivot(r)
}

// pivot makes r the root and drops every host mount.
func pivot(r string) error {
	if err := unix.Chdir(r); err != nil {
		return fmt.Errorf("enter new root: %w", err)
	}
	// pivot_root(".", ".") stacks the old root under the new one; the
	// detach then removes it, without needing a directory to park it in.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	ro := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID)
	if err := unix.Mount("", "/dev", "", ro|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("remount /dev read-only: %w", err)
	}
	if err := unix.Mount("", "/", "", ro|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("remount / read-only: %w", err)
	}
	return nil
}

// bindReadOnly bind-mounts src on dst read-only, nosuid, nodev. In a user
// namespace a remount must keep the flags the source mount has locked
// (noexec, atime), so those are carried over.
func bindReadOnly(src, dst string) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", dst, err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dst, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dst, err)
	}
	flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
	for _, f := range [][2]int64{
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if st.Flags&f[0] != 0 {
			flags |= uintptr(f[1]) //nolint:gosec // MS_* constants, all positive
		}
	}
	if err := unix.Mount("", dst, "", flags, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", dst, err)
	}
	return nil
}

// linkTopDirs recreates /bin, /lib, /lib64 and /sbin: symlinks into usr/
// on merged-/usr hosts (Debian 12), read-only binds otherwise.
func linkTopDirs(r string) error {
	for _, d := range []string{"bin", "lib", "lib64", "sbin"} {
		host := "/" + d
		fi, err := os.Lstat(host)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("inspect %s: %w", host, err)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return fmt.Errorf("read link %s: %w", host, err)
			}
			if err := os.Symlink(target, filepath.Join(r, d)); err != nil {
				return fmt.Errorf("link %s: %w", d, err)
			}
		default:
			if err := os.Mkdir(filepath.Join(r, d), 0o755); err != nil { //nolint:gosec // idem
				return fmt.Errorf("create %s: %w", d, err)
			}
			if err := bindReadOnly(host, filepath.Join(r, d)); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildDev makes a tmpfs /dev with only null, zero, random and urandom
// (bind mounts of the host nodes: creating device nodes is not allowed in a
// user namespace) and the usual symlinks. stdio are pipes, not ttys.
func buildDev(dev string) error {
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755"); err != nil {
		return fmt.Errorf("mount /dev: %w", err)
	}
	for _, n := range []string{"null", "zero", "random", "urandom"} {
		p := filepath.Join(dev, n)
		if err := os.WriteFile(p, nil, 0o666); err != nil { //nolint:gosec // a mount point for a device everyone uses
			return fmt.Errorf("create /dev/%s: %w", n, err)
		}
		if err := unix.Mount("/dev/"+n, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", n, err)
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return fmt.Errorf("link /dev/%s: %w", name, err)
		}
	}
	return nil
}

// maskProc hides /proc files that leak host information or offer kernel
// knobs (the list runc and Docker mask), and makes the kernel-tunable
// trees read-only. Paths missing on this kernel are skipped.
func maskProc(proc, devNull string) error {
	for _, f := range []string{"kcore", "keys", "timer_list", "sched_debug", "latency_stats", "timer_stats", "sysrq-trigger", "kallsyms", "kpagecount", "kpageflags", "kpagecgroup", "config.gz"} {
		p := filepath.Join(proc, f)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unix.Mount(devNull, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("mask /proc/%s: %w", f, err)
		}
	}
	for _, d := range []string{"acpi", "scsi", "asound", "driver"} {
		p := filepath.Join(proc, d)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0"); err != nil {
			return fmt.Errorf("mask /proc/%s: %w", d, err)
		}
	}
	for _, d := range []string{"sys", "bus", "fs", "irq"} {
		p := filepath.Join(proc, d)
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind /proc/%s: %w", d, err)
		}
		if err := unix.Mount("", p, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("remount /proc/%s read-only: %w", d, err)
		}
	}
	return nil
}

// writeEtc synthesizes the few /etc files runtimes look up. Nothing of the
// host's /etc is exposed.
func writeEtc(etc string, cfg Config) error {
	files := map[string]string{
		"passwd": "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
			"sbx:x:" + strconv.Itoa(sandboxUID) + ":" + strconv.Itoa(sandboxGID) + ":sandbox:/tmp:/usr/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"group":         "root:x:0:\nsbx:x:" + strconv.Itoa(sandboxGID) + ":\nnogroup:x:65534:\n",
		"hosts":         "127.0.0.1\tlocalhost " + cfg.Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		"hostname":      cfg.Hostname + "\n",
		"nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(body), 0o644); err != nil { //nolint:gosec // /etc is world-readable
			return fmt.Errorf("write /etc/%s: %w", name, err)
		}
	}
	if err := os.Symlink("/usr/share/zoneinfo/Etc/UTC", filepath.Join(etc, "localtime")); err != nil {
		return fmt.Errorf("link /etc/localtime: %w", err)
	}
	return nil
}
