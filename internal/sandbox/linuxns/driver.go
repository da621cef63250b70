//go:build linux

package linuxns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/runtime"
	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns/nsinit"
	"github.com/voltrun/voltrun/internal/sandbox/seccompfilter"
)

// Options configure the driver.
type Options struct {
	// Logger receives lifecycle events; nil means no logging.
	Logger *zap.Logger
	// StateDir holds the private code directories made for instances
	// created without Spec.CodeDir. Default: $TMPDIR/voltrun-sandboxes.
	StateDir string
	// CgroupParent names VoltRun's group under each cgroup hierarchy.
	// Default "voltrun".
	CgroupParent string
	// UIDBase is the first host uid/gid of the 65536 mapped into every
	// sandbox (sandbox uid 0 → UIDBase, the function's uid 1000 →
	// UIDBase+1000). Pick a range no host user or other container
	// runtime uses. Default 100000.
	UIDBase int
	// Hostname inside sandboxes. Default "voltrun".
	Hostname string
	// StartTimeout bounds Create when its ctx has no deadline. Default 10 s.
	StartTimeout time.Duration
	// NSInit is cmd/voltrun-nsinit, the static C program that spawns
	// every sandbox and is PID 1 of each (built and embedded by make).
	// Without it the driver is unavailable.
	NSInit []byte
}

// Driver runs instances in Linux namespaces with cgroup limits and seccomp.
type Driver struct {
	opts Options
	log  *zap.Logger

	probeOnce sync.Once
	spawner   *spawner
	seccomp   []byte // the filter every init installs
	hostRoot  nsinit.HostRoot
	pyCode    []byte // the compiled Python bootstrap; nil: each sandbox compiles it
	cg        cgroupManager
	probeErr  error
	runtimes  []string
}

var _ sandbox.Driver = (*Driver)(nil)

// New returns a driver. It does not touch the host until Available or
// Create is called.
func New(opts Options) *Driver {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(os.TempDir(), "voltrun-sandboxes")
	}
	if opts.CgroupParent == "" {
		opts.CgroupParent = "voltrun"
	}
	if opts.UIDBase == 0 {
		opts.UIDBase = 100000
	}
	if opts.Hostname == "" {
		opts.Hostname = "voltrun"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 10 * time.Second
	}
	return &Driver{opts: opts, log: opts.Logger.Named("linuxns")}
}

// Name implements sandbox.Driver.
func (d *Driver) Name() string { return "linuxns" }

// Capabilities implements sandbox.Driver.
func (d *Driver) Capabilities() sandbox.Capabilities {
	_ = d.probe()
	c := sandbox.Capabilities{LiveCodeDir: true, Runtimes: d.runtimes}
	if d.cg != nil {
		c.CgroupVersion = d.cg.Version()
	}
	return c
}

// Available implements sandbox.Driver: it checks the init, root,
// user namespaces, seccomp and cgroups, and prepares VoltRun's cgroups.
func (d *Driver) Available() error { return d.probe() }

func (d *Driver) probe() error {
	d.probeOnce.Do(func() {
		d.probeErr = d.check()
		if d.probeErr != nil {
			d.log.Warn("linuxns driver unavailable", zap.Error(d.probeErr))
			return
		}
		nsInit, err := sealedExecutable("voltrun-nsinit", d.opts.NSInit)
		if err != nil {
			d.probeErr = fmt.Errorf("%w: %w", sandbox.ErrUnavailable, err)
			return
		}
		d.spawner = &spawner{exe: nsInit}
		d.log.Info("linuxns driver ready", zap.String("cgroups", d.cg.Version()), zap.Strings("runtimes", d.runtimes))
	})
	return d.probeErr
}

func (d *Driver) check() error {
	unavailable := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", sandbox.ErrUnavailable, fmt.Sprintf(format, args...))
	}
	if d.opts.NSInit == nil {
		return unavailable("this binary has no sandbox init (cmd/voltrun-nsinit): build it with make, which embeds it")
	}
	if os.Geteuid() != 0 {
		return unavailable("the linuxns driver needs root to create user namespaces with a uid map and cgroups (running as uid %d)", os.Geteuid())
	}
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil {
		if n, _ := strconv.Atoi(string(b[:len(b)-1])); n == 0 {
			return unavailable("user namespaces are disabled (user.max_user_namespaces = 0)")
		}
	}
	if !seccomp.Supported() {
		return unavailable("the kernel does not support seccomp filters")
	}
	prog, err := seccompfilter.Program()
	if err != nil {
		return unavailable("%v", err)
	}
	d.seccomp = prog
	if d.hostRoot, err = nsinit.ReadHostRoot(); err != nil {
		return unavailable("%v", err)
	}
	cg, err := detectCgroups(d.opts.CgroupParent)
	if err != nil {
		return unavailable("%v", err)
	}
	d.cg = cg
	for _, rt := range [][2]string{{sandbox.RuntimeNode, bootstrap.NodePath}, {sandbox.RuntimePython, bootstrap.PythonPath}} {
		if unix.Access(rt[1], unix.X_OK) == nil {
			d.runtimes = append(d.runtimes, rt[0])
		}
	}
	if slices.Contains(d.runtimes, sandbox.RuntimePython) {
		if d.pyCode, err = runtime.CompilePython(); err != nil {
			d.log.Warn("python sandboxes will compile their bootstrap", zap.Error(err))
		}
	}
	if len(d.runtimes) == 0 {
		return unavailable("neither %s nor %s is installed", bootstrap.NodePath, bootstrap.PythonPath)
	}
	return nil
}

// Create implements sandbox.Driver.
func (d *Driver) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	if spec.Network {
		return nil, fmt.Errorf("create sandbox: %w: the linuxns driver has no network support", sandbox.ErrUnsupported)
	}
	if err := d.probe(); err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d.opts.StartTimeout)
		defer cancel()
	}
	inst := &instance{d: d, id: newID(), spec: spec, exited: make(chan struct{}), codeDir: spec.CodeDir}
	inst.log = d.log.With(zap.String("instance", inst.id), zap.String("runtime", spec.Runtime), zap.Any("labels", spec.Labels))
	if err := inst.start(ctx); err != nil {
		if derr := inst.Destroy(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, derr)
		}
		inst.log.Debug("sandbox start failed", zap.Error(err))
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	return inst, nil
}

// start does Create's work; on error the caller destroys the instance.
func (i *instance) start(ctx context.Context) error {
	begin := time.Now()
	codeDir, err := i.openCodeDir()
	if err != nil {
		return err
	}
	defer codeDir.Close()
	quota := int64(0)
	if i.spec.CPUShare > 0 {
		quota = int64(i.spec.CPUShare * 100000)
	}
	cg, err := i.d.cg.Create(i.id, cgroupLimits{
		MemoryBytes: int64(i.spec.MemoryMB) << 20, Pids: i.spec.MaxProcs, CPUQuotaUS: quota, CPUPeriodUS: 100000,
		Standby: i.spec.Standby,
	})
	if err != nil {
		return err
	}
	i.cg = cg
	proc, pipes, tasks, err := i.d.spawner.startInit(i.d.opts.UIDBase, codeDir, cg)
	if err != nil {
		return err
	}
	i.proc, i.pipes = proc, pipes
	go i.wait()
	cfg := nsinit.Config{
		Runtime: i.spec.Runtime, MemoryMB: i.spec.MemoryMB, TmpSizeMB: i.spec.TmpSizeMB,
		Hostname: i.d.opts.Hostname, CodeDir: true, CgroupTasks: tasks, Seccomp: i.d.seccomp, Host: i.d.hostRoot,
	}
	if i.spec.Runtime == sandbox.RuntimePython {
		cfg.PythonCode = i.d.pyCode
	}
	b, err := cfg.Encode()
	if err != nil {
		return fmt.Errorf("send init config: %w", err)
	}
	_, err = pipes.config.Write(b)
	_ = pipes.config.Close()
	pipes.config = nil
	if err != nil {
		return fmt.Errorf("send init config: %w", err)
	}
	i.client = runtime.NewClient(runtime.ClientConfig{
		Requests: pipes.requests, Responses: pipes.responses, Stdout: pipes.stdout, Stderr: pipes.stderr,
		DirectOutput: true, Kill: i.kill, Logger: i.log,
	})
	version, err := i.client.Ready(ctx)
	if err != nil {
		return err
	}
	i.log.Debug("sandbox ready", zap.String("version", version), zap.Int("pid", proc.Pid), zap.Duration("took", time.Since(begin)))
	return nil
}

// openCodeDir makes (if needed) the code directory and returns a read-only
// detached mount of it for the init to attach at /var/task.
func (i *instance) openCodeDir() (*os.File, error) {
	if i.codeDir == "" {
		dir := filepath.Join(i.d.opts.StateDir, i.id)
		// The sandbox reaches its code dir through a mount, not the path:
		// the state dir stays private; the code dir itself must be
		// readable by the sandbox's unprivileged user.
		if err := os.MkdirAll(i.d.opts.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("create state dir: %w", err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil { //nolint:gosec // see above
			return nil, fmt.Errorf("create code dir: %w", err)
		}
		// Mkdir honours the umask; the sandbox user needs r-x.
		if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // see above
			return nil, fmt.Errorf("create code dir: %w", err)
		}
		i.codeDir, i.ownCodeDir = dir, true
	}
	// A detached, read-only clone of the directory's mount: the init
	// attaches it with move_mount. A plain bind of a host path would fail
	// in the sandbox's mount namespace (EINVAL for a foreign mount) or on
	// search permission of the path's ancestors (the namespace root has no
	// rights over host-root-owned directories).
	fd, err := unix.OpenTree(unix.AT_FDCWD, i.codeDir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("%w: open code dir: %w", sandbox.ErrInvalidSpec, err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("make code dir mount read-only: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stat code dir: %w", err)
	}
	if st.Mode&0o005 != 0o005 {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: code dir %s has mode %o: the sandbox user needs o+rx", sandbox.ErrInvalidSpec, i.codeDir, st.Mode&0o777)
	}
	return os.NewFile(uintptr(fd), "codedir"), nil
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
