package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/voltrun/voltrun/client"
	"github.com/voltrun/voltrun/internal/core"
)

// manifestName is the function manifest's file name in a function folder.
const manifestName = "voltrun.yaml"

// manifest is voltrun.yaml: how `voltrun deploy` configures the function.
type manifest struct {
	Name        string            `yaml:"name"`
	Runtime     string            `yaml:"runtime"`
	Handler     string            `yaml:"handler,omitempty"`
	Description string            `yaml:"description,omitempty"`
	Memory      int               `yaml:"memory,omitempty"`  // MB
	Timeout     duration          `yaml:"timeout,omitempty"` // e.g. 10s
	Env         map[string]string `yaml:"env,omitempty"`
}

// duration is a YAML duration written as Go writes them ("10s", "1m30s"):
// a bare number would leave the unit to guesswork.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("line %d: timeout must be a duration with its unit, like 10s or 2m", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: timeout %q must be a duration with its unit, like 10s or 2m", n.Line, n.Value)
	}
	*d = duration(v)
	return nil
}

// loadManifest reads dir/voltrun.yaml, refusing unknown keys (a typo would
// otherwise be silently ignored) and what the server would refuse anyway.
func loadManifest(dir string) (*manifest, error) {
	p := filepath.Join(dir, manifestName)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no %s in %s: run voltrun init, or deploy the function's folder", manifestName, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	switch {
	case !core.ValidName(m.Name):
		return nil, fmt.Errorf("%s: name %q must be a lowercase letter, then up to 62 lowercase letters, digits or dashes", p, m.Name)
	case m.Runtime != client.RuntimeNode && m.Runtime != client.RuntimePython:
		return nil, fmt.Errorf("%s: runtime must be %s or %s", p, client.RuntimeNode, client.RuntimePython)
	case m.Timeout != 0 && time.Duration(m.Timeout)%time.Millisecond != 0:
		return nil, fmt.Errorf("%s: timeout must be a whole number of milliseconds", p)
	}
	return &m, nil
}

// defaultHandler is the API's default handler for a runtime.
func defaultHandler(runtime string) string { return core.DefaultHandler(core.Runtime(runtime)) }

// spec is the API request that makes the function look like m. Omitted
// fields get the API's defaults, sent explicitly so that deleting a line
// from the manifest resets the setting on the next deploy instead of
// leaving the old value in place.
func (m *manifest) spec() client.FunctionSpec {
	s := client.FunctionSpec{
		Name: m.Name, Runtime: m.Runtime, Handler: m.Handler, Description: m.Description,
		MemoryMB: m.Memory, TimeoutMS: int(time.Duration(m.Timeout) / time.Millisecond), Env: m.Env,
	}
	if s.Handler == "" {
		s.Handler = defaultHandler(m.Runtime)
	}
	if s.MemoryMB == 0 {
		s.MemoryMB = core.DefaultMemoryMB
	}
	if s.TimeoutMS == 0 {
		s.TimeoutMS = core.DefaultTimeoutMS
	}
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	return s
}
