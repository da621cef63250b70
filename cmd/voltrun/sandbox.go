package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"go.uber.org/zap"

	"github.com/voltrun/voltrun/internal/sandbox"
	"github.com/voltrun/voltrun/internal/sandbox/gvisor"
	"github.com/voltrun/voltrun/internal/sandbox/linuxns"
)

// pickDriver returns the sandbox driver named by VOLTRUN_SANDBOX and why it
// was chosen. A host that can run none refuses to start: functions never run
// unsandboxed.
func pickDriver(name, dataDir string, log *zap.Logger) (sandbox.Driver, string, error) {
	candidates := map[string]func() (sandbox.Driver, error){
		"linuxns": func() (sandbox.Driver, error) {
			return linuxns.New(linuxns.Options{Logger: log.Named("linuxns"), StateDir: filepath.Join(dataDir, "sandboxes"), NSInit: nsInit}), nil
		},
		"gvisor": func() (sandbox.Driver, error) {
			return gvisor.New(gvisor.Options{Logger: log.Named("gvisor"), StateDir: filepath.Join(dataDir, "gvisor"), Init: sandboxInit}), nil
		},
		"firecracker": func() (sandbox.Driver, error) {
			return nil, errors.New("the firecracker driver is not part of this build yet")
		},
	}
	try := func(n string) (sandbox.Driver, error) {
		d, err := candidates[n]()
		if err != nil {
			return nil, err
		}
		if err := d.Available(); err != nil {
			return nil, err
		}
		return d, nil
	}
	if name != "auto" {
		d, err := try(name)
		if err != nil {
			return nil, "", fmt.Errorf("VOLTRUN_SANDBOX=%s cannot run on this host: %w", name, err)
		}
		return d, "chosen by VOLTRUN_SANDBOX", nil
	}
	// auto: the fastest driver that works here; stronger isolation is
	// opted into by name.
	var reasons []error
	for _, n := range []string{"linuxns", "gvisor", "firecracker"} {
		d, err := try(n)
		if err == nil {
			return d, "auto: the first of linuxns, gvisor, firecracker available on this host", nil
		}
		reasons = append(reasons, fmt.Errorf("%s: %w", n, err))
	}
	return nil, "", fmt.Errorf("no sandbox driver can run on this host, so functions cannot be run safely: %w", errors.Join(reasons...))
}
