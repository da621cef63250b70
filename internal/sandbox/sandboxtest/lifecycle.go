package sandboxtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

const sleepyNode = "exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return 'slept'; };"

// testLifecycle: misuse of the API gets the documented sentinels, and
// Destroy is idempotent.
func (s *suite) testLifecycle(t *testing.T) {
	f := fn{rt: sandbox.RuntimeNode, files: map[string]string{"index.js": sleepyNode}, handler: "index.handler"}
	ctx, cancel := timeout(20 * time.Second)
	defer cancel()

	if _, err := s.d.Create(ctx, sandbox.Spec{Runtime: "cobol"}); !errors.Is(err, sandbox.ErrInvalidSpec) {
		t.Errorf("create with an unknown runtime: got %v, want ErrInvalidSpec", err)
	}
	if !s.caps.Network {
		if _, err := s.d.Create(ctx, sandbox.Spec{Runtime: sandbox.RuntimeNode, Network: true}); !errors.Is(err, sandbox.ErrUnsupported) {
			t.Errorf("create with network on a driver without it: got %v, want ErrUnsupported", err)
		}
	}

	inst := s.create(t, f)
	if _, _, err := tryCall(inst, `{}`, time.Second); !errors.Is(err, sandbox.ErrNotLoaded) {
		t.Errorf("invoke before load: got %v, want ErrNotLoaded", err)
	}
	if err := load(inst, f); err != nil {
		t.Fatal(err)
	}
	if err := load(inst, f); !errors.Is(err, sandbox.ErrAlreadyLoaded) {
		t.Errorf("second load: got %v, want ErrAlreadyLoaded", err)
	}
	big := `"` + strings.Repeat("x", sandbox.MaxEventBytes) + `"`
	if _, _, err := tryCall(inst, big, time.Second); !errors.Is(err, sandbox.ErrPayloadTooLarge) {
		t.Errorf("oversized event: got %v, want ErrPayloadTooLarge", err)
	}

	// One call at a time: a second one is refused, or pipelined to run
	// after the first, its time limit counted from its own start.
	var wg sync.WaitGroup
	wg.Add(1)
	var slowDone time.Time
	go func() {
		defer wg.Done()
		if res, _, err := tryCall(inst, `{"ms":400}`, 5*time.Second); err != nil || res.Status != sandbox.StatusSucceeded {
			t.Errorf("slow call: %v %+v", err, res)
		}
		slowDone = time.Now()
	}()
	time.Sleep(100 * time.Millisecond)
	if p, ok := inst.(sandbox.Pipeliner); ok && p.Pipelines() {
		res, _, err := tryCall(inst, `{"ms":0}`, 250*time.Millisecond) // the slow call has 300 ms to go
		wg.Wait()
		if err != nil || res.Status != sandbox.StatusSucceeded || res.Duration > 250*time.Millisecond || time.Now().Before(slowDone) {
			t.Errorf("pipelined invoke: %v %+v, want it to succeed after the slow call", err, res)
		}
	} else if _, _, err := tryCall(inst, `{"ms":0}`, time.Second); !errors.Is(err, sandbox.ErrInstanceBusy) {
		t.Errorf("concurrent invoke: got %v, want ErrInstanceBusy", err)
	}
	wg.Wait()
	if res, _, err := tryCall(inst, `{"ms":1}`, 5*time.Second); err != nil || res.Status != sandbox.StatusSucceeded {
		t.Errorf("call after the busy one: %v %+v", err, res)
	}

	for range 3 {
		if err := inst.Destroy(ctx); err != nil {
			t.Errorf("destroy: %v", err)
		}
	}
	requireDead(t, inst)
	if err := load(inst, f); !errors.Is(err, sandbox.ErrInstanceDead) {
		t.Errorf("load after destroy: got %v, want ErrInstanceDead", err)
	}
}

// testTimeout: the host kills a call at its deadline; the instance is dead.
func (s *suite) testTimeout(t *testing.T) {
	for _, tc := range []struct{ rt, file, code, handler string }{
		{sandbox.RuntimeNode, "index.js", "exports.handler = () => { console.log('spinning'); for (;;) {} };", "index.handler"},
		{sandbox.RuntimePython, "main.py", "def handler(e, c):\n    print('spinning')\n    while True:\n        pass\n", "main.handler"},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			inst := s.start(t, fn{rt: tc.rt, files: map[string]string{tc.file: tc.code}, handler: tc.handler})
			start := time.Now()
			res, l := call(t, inst, `{}`, 500*time.Millisecond)
			took := time.Since(start)
			if res.Status != sandbox.StatusTimeout || res.Reason != sandbox.ReasonTimeout || !res.Dead {
				t.Fatalf("got %s %s dead=%v", res.Status, res.Reason, res.Dead)
			}
			if took < 450*time.Millisecond || took > 2*time.Second {
				t.Errorf("timed out after %v, want about 500ms", took)
			}
			if got := l.of(sandbox.StreamStdout); len(got) != 1 || got[0] != "spinning" {
				t.Errorf("logs before the timeout: %q", got)
			}
			requireDead(t, inst)
		})
	}
}

// testAbort: a concurrent Destroy or a cancelled context aborts a call.
func (s *suite) testAbort(t *testing.T) {
	f := fn{rt: sandbox.RuntimeNode, files: map[string]string{"index.js": sleepyNode}, handler: "index.handler"}
	t.Run("destroy", func(t *testing.T) {
		t.Parallel()
		inst := s.start(t, f)
		time.AfterFunc(200*time.Millisecond, func() { _ = inst.Destroy(context.Background()) })
		start := time.Now()
		res, _, err := tryCall(inst, `{"ms":10000}`, 20*time.Second)
		if !errors.Is(err, sandbox.ErrAborted) || res.Status != sandbox.StatusKilled || res.Reason != sandbox.ReasonAborted || !res.Dead {
			t.Fatalf("got %v %s %s dead=%v", err, res.Status, res.Reason, res.Dead)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("abort took %v", took)
		}
	})
	t.Run("context", func(t *testing.T) {
		t.Parallel()
		inst := s.start(t, f)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		res, err := inst.Invoke(ctx, sandbox.Request{ID: "x", Event: []byte(`{"ms":10000}`), Deadline: time.Now().Add(20 * time.Second)}, nil)
		if !errors.Is(err, sandbox.ErrAborted) || !errors.Is(err, context.Canceled) || res.Status != sandbox.StatusKilled || !res.Dead {
			t.Fatalf("got %v %s %s dead=%v", err, res.Status, res.Reason, res.Dead)
		}
		requireDead(t, inst)
	})
}

// testPreWarm: an instance created before its code exists (the pool's
// pre-warmed "stem cell") loads code written into its CodeDir afterwards.
func (s *suite) testPreWarm(t *testing.T) {
	if !s.caps.LiveCodeDir {
		t.Skipf("driver %s does not share a live code directory", s.d.Name())
	}
	for _, given := range []bool{false, true} {
		name := map[bool]string{false: "driver dir", true: "given empty dir"}[given]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec := sandbox.Spec{Runtime: sandbox.RuntimePython}
			if given {
				spec.CodeDir = writeCode(t, nil)
			}
			ctx, cancel := timeout(20 * time.Second)
			defer cancel()
			inst, err := s.d.Create(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := inst.Destroy(ctx); err != nil {
					t.Error(err)
				}
				if !given {
					if _, err := os.Stat(inst.CodeDir()); !os.IsNotExist(err) {
						t.Errorf("driver-made code dir %s left behind: %v", inst.CodeDir(), err)
					}
				}
			}()
			dir := inst.CodeDir()
			if dir == "" || (given && dir != spec.CodeDir) {
				t.Fatalf("CodeDir() = %q", dir)
			}
			for name, body := range pythonPackage {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil { //nolint:gosec // world-readable on purpose: the sandbox user must read it
					t.Fatal(err)
				}
			}
			if err := load(inst, fn{handler: "pkg/mod.handler"}); err != nil {
				t.Fatal(err)
			}
			if res, _ := call(t, inst, `{"x":21}`, 5*time.Second); string(res.Payload) != "42" {
				t.Fatalf("got %s %s %+v", res.Status, res.Payload, res.Error)
			}
		})
	}
}
