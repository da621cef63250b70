//go:build linux

package gvisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// InstallHint is how an operator gets the runsc this driver is tested with.
const InstallHint = "run scripts/install-runsc.sh, or: CGO_ENABLED=0 go install gvisor.dev/gvisor/runsc@v0.0.0-20260905035102-160fafc42237 (it must be a static build)"

// Options configure the driver.
type Options struct {
	// Logger receives lifecycle events; nil means no logging.
	Logger *zap.Logger
	// RunscPath is the runsc binary. Default: runsc on PATH, else
	// $GOPATH/bin/runsc (where scripts/install-runsc.sh installs it).
	RunscPath string
	// StateDir holds runsc's state, the shared read-only root, the OCI
	// bundles, private code directories and snapshot images. It must be
	// private to one server process. Default: $TMPDIR/voltrun-gvisor.
	StateDir string
	// Platform is runsc's platform. Default "systrap" (kvm hangs on nested
	// virtualisation, ptrace is slower).
	Platform string
	// SnapshotRuntimes lists the runtimes whose instances are restored from
	// a checkpoint of a pre-warmed instance instead of booted. Default:
	// DefaultSnapshotRuntimes. NoSnapshots turns the feature off.
	SnapshotRuntimes []string
	NoSnapshots      bool
	// AlwaysRestore restores every instance of those runtimes. By default
	// Create restores only while restoring measures faster than booting
	// (see startStats).
	AlwaysRestore bool
	// MemoryOverheadMB is added to Spec.MemoryMB for the sandbox's memory
	// cgroup, which also holds gVisor's own kernel (the sentry, ~15–25 MB):
	// a function gets about the memory it asked for. Default 32.
	MemoryOverheadMB int
	// TaskOverheadMB is added to the cgroup limit for every task
	// Spec.MaxProcs allows. gVisor breaks copy-on-write in 2 MB units, so a
	// forked process costs several MB more than under Linux (a forked
	// Python ~6 MB); without this allowance a fork bomb would hit the
	// memory limit before the process limit. Default 3; -1 for none.
	TaskOverheadMB int
	// CgroupParent names the host cgroup that holds one group per sandbox.
	// Default "voltrun-gvisor".
	CgroupParent string
	// Init is a standalone build of the sandbox init
	// (cmd/voltrun-sandbox-init), placed in every sandbox as its PID 1. Nil
	// copies this binary instead, which then runs every package's init in
	// every sandbox, slowly under gVisor, and makes snapshots larger.
	Init []byte
	// Hostname inside sandboxes. Default "voltrun".
	Hostname string
	// StartTimeout bounds Create when its ctx has no deadline. Default 20 s.
	StartTimeout time.Duration
}

// DefaultSnapshotRuntimes are restored from snapshots unless configured
// otherwise. Node.js is left out until its bootstrap re-seeds Math.random
// and OpenSSL's DRBG after a restore: every instance restored from one image
// would otherwise produce the same "random" numbers (see doc.go).
var DefaultSnapshotRuntimes = []string{sandbox.RuntimePython}

// Driver runs each instance in its own gVisor sandbox (runsc).
type Driver struct {
	opts Options
	log  *zap.Logger

	probeOnce sync.Once
	probeErr  error
	host      hostInfo

	tplMu     sync.Mutex
	templates map[templateKey]*template
	loaded    map[string]*loadedImage // by key (LoadedSnapshots)
	scopes    map[string]string       // a scope's key in loaded
	parked    map[parkKey]*parkedSandbox
	parkedTTL time.Duration
	// Image builds (templates and functions) run until Close cancels
	// closing and waits for them, so none leaves a sandbox behind.
	closing    context.Context
	closeBuild context.CancelFunc
	builds     sync.WaitGroup
}

var (
	_ sandbox.Driver          = (*Driver)(nil)
	_ sandbox.LoadedSnapshots = (*Driver)(nil)
)

// New returns a driver. It does not touch the host until Available or
// Create is called.
func New(opts Options) *Driver {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.StateDir == "" {
		opts.StateDir = filepath.Join(os.TempDir(), "voltrun-gvisor")
	}
	if opts.Platform == "" {
		opts.Platform = "systrap"
	}
	if opts.SnapshotRuntimes == nil {
		opts.SnapshotRuntimes = DefaultSnapshotRuntimes
	}
	if opts.NoSnapshots {
		opts.SnapshotRuntimes = nil
	}
	if opts.MemoryOverheadMB == 0 {
		opts.MemoryOverheadMB = 32
	}
	switch opts.TaskOverheadMB {
	case 0:
		opts.TaskOverheadMB = 3
	case -1:
		opts.TaskOverheadMB = 0
	}
	if opts.CgroupParent == "" {
		opts.CgroupParent = "voltrun-gvisor"
	}
	if opts.Hostname == "" {
		opts.Hostname = "voltrun"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 20 * time.Second
	}
	closing, closeBuild := context.WithCancel(context.Background())
	return &Driver{
		opts: opts, log: opts.Logger.Named("gvisor"), templates: map[templateKey]*template{},
		loaded: map[string]*loadedImage{}, scopes: map[string]string{}, parked: map[parkKey]*parkedSandbox{},
		parkedTTL: defaultParkedTTL, closing: closing, closeBuild: closeBuild,
	}
}

// Name implements sandbox.Driver.
func (d *Driver) Name() string { return "gvisor" }

// Capabilities implements sandbox.Driver. CgroupVersion is the hierarchy
// runsc puts sandboxes in.
func (d *Driver) Capabilities() sandbox.Capabilities {
	_ = d.probe()
	return sandbox.Capabilities{
		Snapshots:     len(d.opts.SnapshotRuntimes) > 0,
		LiveCodeDir:   true,
		CgroupVersion: d.host.cgroupVersion,
		Runtimes:      d.host.runtimes,
	}
}

// Available implements sandbox.Driver: it checks root, the re-exec hook and
// runsc, prepares the state directory, and starts one throw-away sandbox to
// prove runsc works on this host.
func (d *Driver) Available() error { return d.probe() }

func (d *Driver) probe() error {
	d.probeOnce.Do(func() {
		d.probeErr = d.check()
		if d.probeErr != nil {
			d.log.Warn("gvisor driver unavailable", zap.Error(d.probeErr))
			return
		}
		if slices.Contains(d.opts.SnapshotRuntimes, sandbox.RuntimeNode) {
			d.log.Warn("Node.js instances are restored from snapshots: they all start with the same OpenSSL DRBG " +
				"and Math.random state, so their crypto.randomBytes, randomUUID and Math.random values repeat across instances")
		}
		d.log.Info("gvisor driver ready", zap.String("runsc", d.host.rs.path), zap.String("platform", d.opts.Platform),
			zap.String("cgroups", d.host.cgroupVersion), zap.Strings("runtimes", d.host.runtimes),
			zap.Strings("snapshots", d.opts.SnapshotRuntimes))
	})
	return d.probeErr
}

// Create implements sandbox.Driver. ctx is honoured between steps but never
// interrupts runsc while it creates a sandbox (that would leak what it had
// not yet recorded), so a cancelled Create may take up to one runsc start
// to return; it then leaves nothing behind. With snapshots on for the Spec's
// runtime, the first Create of each template key (runtime, memory, process
// limit, /tmp size) boots an instance, checkpoints it and keeps the image;
// that Create and every later one restore from it. A failed checkpoint or
// restore is logged and Create boots instead. Either way it starts in the
// parked sandbox of the Spec's kind when there is one (parked.go).
func (d *Driver) Create(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	if spec.Network {
		return nil, fmt.Errorf("create sandbox: %w: the gvisor driver has no network support", sandbox.ErrUnsupported)
	}
	if err := d.probe(); err != nil {
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	if !slices.Contains(d.host.runtimes, spec.Runtime) {
		return nil, fmt.Errorf("create sandbox: %w: runtime %s is not installed on this host", sandbox.ErrUnavailable, spec.Runtime)
	}
	ctx, cancel := d.startContext(ctx)
	defer cancel()
	var img string
	var t *template
	if slices.Contains(d.opts.SnapshotRuntimes, spec.Runtime) {
		var err error
		if img, t, err = d.image(ctx, spec); err != nil {
			d.log.Warn("no snapshot; booting instead", zap.String("runtime", spec.Runtime), zap.Error(err))
			img, t = "", nil
		} else if !d.opts.AlwaysRestore && !d.useImage(keyOf(spec), t) {
			img = ""
		}
	}
	begin := time.Now()
	inst, err := d.startParked(ctx, spec, img)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	if t != nil && inst.restored == (img != "") { // not a failed restore's boot
		d.recordStart(t, inst.restored, time.Since(begin))
	}
	return inst, nil
}

// startContext bounds a start by StartTimeout when ctx has no deadline.
func (d *Driver) startContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d.opts.StartTimeout)
}

// startParked starts spec's runtime (img "") or restores img in the parked
// sandbox of spec's kind, and parks another for the next Create; without
// one, or if it fails, or for a Spec with its own code dir, it starts a new
// sandbox.
func (d *Driver) startParked(ctx context.Context, spec sandbox.Spec, img string) (*instance, error) {
	if spec.CodeDir != "" {
		// The code dir is a mount of the bundle: only private ones park.
		return d.startOrBoot(ctx, spec, img)
	}
	defer d.repark(spec)
	if inst := d.takeParked(spec); inst != nil {
		err := inst.unpark(ctx, img)
		if err == nil {
			return inst, nil
		}
		d.destroyParked(inst)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("create sandbox: %w", err)
		}
		d.log.Warn("parked sandbox failed; starting a new one", zap.String("image", img), zap.Error(err))
	}
	return d.startOrBoot(ctx, spec, img)
}

// startOrBoot restores img, or boots when img is "" or its restore fails.
func (d *Driver) startOrBoot(ctx context.Context, spec sandbox.Spec, img string) (*instance, error) {
	inst, err := d.start(ctx, spec, img, nil)
	if err != nil && img != "" && ctx.Err() == nil {
		d.log.Warn("restore failed; booting instead", zap.String("image", img), zap.Error(err))
		return d.start(ctx, spec, "", nil)
	}
	return inst, err
}

// start creates an instance by booting (img "") or restoring img; fill, if
// set, writes the code into the instance's code dir before runsc starts.
func (d *Driver) start(ctx context.Context, spec sandbox.Spec, img string, fill func(string) error) (*instance, error) {
	inst := d.newInstance(spec)
	if err := inst.start(ctx, img, fill); err != nil {
		if derr := inst.Destroy(context.WithoutCancel(ctx)); derr != nil {
			err = errors.Join(err, derr)
		}
		inst.log.Debug("sandbox start failed", zap.Error(err))
		return nil, fmt.Errorf("create sandbox: %w", err)
	}
	return inst, nil
}

// Close stops the function image builds and the parking in progress and
// waits for them (at most one runsc start each), destroys the parked
// sandboxes, deletes the snapshot images and unmounts
// the network namespaces
// bind-mounted in the state directory (the sandboxes' one, and the one runsc
// keeps for its gofers): without that the directory cannot be removed. Instances are owned by their creators
// and must be destroyed by them first. The driver must not be used
// afterwards.
func (d *Driver) Close() error {
	d.tplMu.Lock()
	d.closeBuild()
	d.tplMu.Unlock()
	d.builds.Wait()
	d.closeParked()
	d.tplMu.Lock()
	defer d.tplMu.Unlock()
	if d.host.rs != nil {
		// Concurrent runsc invocations may have stacked several mounts.
		for unix.Unmount(filepath.Join(d.host.rs.root, "null-netns"), unix.MNT_DETACH) == nil {
		}
		for unix.Unmount(d.host.netns, unix.MNT_DETACH) == nil {
		}
	}
	var errs []error
	for k, t := range d.templates {
		if t.dir != "" {
			if err := os.RemoveAll(t.dir); err != nil {
				errs = append(errs, fmt.Errorf("remove snapshot %s: %w", t.dir, err))
			}
		}
		delete(d.templates, k)
	}
	for k, t := range d.loaded {
		if t.dir != "" {
			if err := os.RemoveAll(t.dir); err != nil {
				errs = append(errs, fmt.Errorf("remove snapshot %s: %w", t.dir, err))
			}
		}
		delete(d.loaded, k)
	}
	clear(d.scopes)
	return errors.Join(errs...)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "vr-" + hex.EncodeToString(b[:])
}
