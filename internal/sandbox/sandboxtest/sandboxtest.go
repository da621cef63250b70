// Package sandboxtest is the conformance and containment suite every
// sandbox driver must pass. A driver's test calls Run with a driver whose
// host supports it; Run skips, saying why, when Available reports that the
// host lacks what the driver needs.
//
// Conformance checks the contract of package sandbox with real Node.js and
// Python functions: results, context, env, logs, errors, lifecycle and
// limits. Containment runs one attack per test (reading host files,
// escaping through /proc, networking, fork bombs, memory and CPU abuse,
// signals, ptrace, mount, the server's environment...) and proves both that
// it fails and that the driver still serves a fresh instance afterwards.
//
// Drivers whose instances run as processes of the host kernel may implement
// ProcessLister so the suite can also prove that a killed tree is gone.
package sandboxtest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// ProcessLister is optionally implemented by instances: Procs returns the
// host pids of the instance's processes (empty once it is destroyed).
type ProcessLister interface {
	Procs() []int
}

// Run runs the whole suite against d. It must not be called from a
// parallel test: one test sets process environment variables.
func Run(t *testing.T, d sandbox.Driver) {
	if err := d.Available(); err != nil {
		t.Skipf("driver %s unavailable: %v", d.Name(), err)
	}
	s := &suite{d: d, caps: d.Capabilities()}
	for _, rt := range []string{sandbox.RuntimeNode, sandbox.RuntimePython} {
		if !slices.Contains(s.caps.Runtimes, rt) {
			t.Fatalf("driver %s lacks runtime %s: the suite needs both", d.Name(), rt)
		}
	}
	// Sequential: it changes the process environment.
	t.Run("Containment/ServerEnvironment", s.testServerEnv)
	t.Run("Conformance", s.conformance)
	t.Run("Containment", s.containment)
}

type suite struct {
	d    sandbox.Driver
	caps sandbox.Capabilities
}

// fn describes a function under test.
type fn struct {
	rt      string
	files   map[string]string
	handler string
	env     map[string]string
	spec    func(*sandbox.Spec)
}

// writeCode writes files into a fresh world-readable directory.
func writeCode(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
		t.Fatal(err)
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
			t.Fatal(err)
		}
	}
	return dir
}

func timeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// create starts an instance of f (not loaded) and destroys it at cleanup.
func (s *suite) create(t *testing.T, f fn) sandbox.Instance {
	t.Helper()
	spec := sandbox.Spec{Runtime: f.rt, CodeDir: writeCode(t, f.files)}
	if f.spec != nil {
		f.spec(&spec)
	}
	ctx, cancel := timeout(20 * time.Second)
	defer cancel()
	inst, err := s.d.Create(ctx, spec)
	if err != nil {
		t.Fatalf("create %s instance: %v", f.rt, err)
	}
	t.Cleanup(func() {
		ctx, cancel := timeout(10 * time.Second)
		defer cancel()
		if err := inst.Destroy(ctx); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	return inst
}

// start creates and loads f.
func (s *suite) start(t *testing.T, f fn) sandbox.Instance {
	t.Helper()
	inst := s.create(t, f)
	if err := load(inst, f); err != nil {
		t.Fatalf("load %s: %v", f.handler, err)
	}
	return inst
}

func load(inst sandbox.Instance, f fn) error {
	ctx, cancel := timeout(20 * time.Second)
	defer cancel()
	return inst.Load(ctx, sandbox.LoadRequest{
		Handler: f.handler, Env: f.env, FunctionName: "test-fn", FunctionVersion: "3", MemoryMB: 128,
	})
}

// logs records what a LogSink receives.
type logs struct {
	mu    sync.Mutex
	lines []logLine
}

type logLine struct{ stream, text string }

func (l *logs) sink(stream, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, logLine{stream, line})
}

// of returns the lines of one stream, in order.
func (l *logs) of(stream string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, x := range l.lines {
		if x.stream == stream {
			out = append(out, x.text)
		}
	}
	return out
}

func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, x := range l.lines {
		b.WriteString(x.stream + ": " + x.text + "\n")
	}
	return b.String()
}

// call invokes inst with a JSON event and a deadline d from now.
func call(t *testing.T, inst sandbox.Instance, event string, d time.Duration) (sandbox.Result, *logs) {
	t.Helper()
	res, l, err := tryCall(inst, event, d)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return res, l
}

func tryCall(inst sandbox.Instance, event string, d time.Duration) (sandbox.Result, *logs, error) {
	var l logs
	ctx, cancel := timeout(d + 20*time.Second)
	defer cancel()
	res, err := inst.Invoke(ctx, sandbox.Request{ID: "exec-1", Event: []byte(event), Deadline: time.Now().Add(d)}, l.sink)
	return res, &l, err
}

// succeeded fails the test unless res succeeded, and decodes its payload.
func succeeded(t *testing.T, res sandbox.Result, l *logs) map[string]any {
	t.Helper()
	if res.Status != sandbox.StatusSucceeded {
		t.Fatalf("status %s (%s), error %+v, logs:\n%s", res.Status, res.Reason, res.Error, l.all())
	}
	var m map[string]any
	if err := json.Unmarshal(res.Payload, &m); err != nil {
		t.Fatalf("payload %q is not a JSON object: %v", res.Payload, err)
	}
	return m
}

// jsonEqual compares two JSON documents semantically.
func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// requireHealthy proves the driver still serves a fresh instance.
func (s *suite) requireHealthy(t *testing.T) {
	t.Helper()
	inst := s.start(t, fn{rt: sandbox.RuntimePython, files: map[string]string{"main.py": "def handler(e, c):\n    return {'alive': e['n'] + 1}\n"}, handler: "main.handler"})
	res, l := call(t, inst, `{"n":41}`, 10*time.Second)
	if m := succeeded(t, res, l); m["alive"] != float64(42) {
		t.Fatalf("fresh instance answered %s", res.Payload)
	}
}

// requireDead checks that inst refuses further calls.
func requireDead(t *testing.T, inst sandbox.Instance) {
	t.Helper()
	if _, _, err := tryCall(inst, `{}`, time.Second); !errors.Is(err, sandbox.ErrInstanceDead) {
		t.Fatalf("invoke on a dead instance: got %v, want ErrInstanceDead", err)
	}
}
