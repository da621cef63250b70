package sandbox

import (
	"errors"
	"testing"
)

func TestSpecDefaultsAndValidate(t *testing.T) {
	t.Parallel()
	ok := Spec{Runtime: RuntimeNode}.WithDefaults()
	if ok.MemoryMB != DefaultMemoryMB || ok.MaxProcs != DefaultMaxProcs || ok.TmpSizeMB != DefaultTmpSizeMB || ok.CPUShare != DefaultCPUShare {
		t.Fatalf("defaults not applied: %+v", ok)
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	for name, mutate := range map[string]func(*Spec){
		"runtime":      func(s *Spec) { s.Runtime = "ruby" },
		"memory low":   func(s *Spec) { s.MemoryMB = 8 },
		"memory high":  func(s *Spec) { s.MemoryMB = MaxMemoryMB + 1 },
		"procs":        func(s *Spec) { s.MaxProcs = 2 },
		"tmp":          func(s *Spec) { s.TmpSizeMB = -1 },
		"cpu":          func(s *Spec) { s.CPUShare = 0.001 },
		"cpu too much": func(s *Spec) { s.CPUShare = 100 },
	} {
		s := ok
		mutate(&s)
		if err := s.Validate(); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("%s: got %v, want ErrInvalidSpec", name, err)
		}
	}
}

func TestExitCodeReason(t *testing.T) {
	t.Parallel()
	for _, code := range []int{0, 1, 137} {
		r := ExitCodeReason(code)
		if got, ok := r.ExitCode(); !ok || got != code {
			t.Errorf("%q.ExitCode() = %d, %v", r, got, ok)
		}
	}
	if _, ok := ReasonTimeout.ExitCode(); ok {
		t.Error("timeout reason parsed as an exit code")
	}
}

func TestLoadError(t *testing.T) {
	t.Parallel()
	fe := &FunctionError{Type: "SyntaxError", Message: "Unexpected token"}
	var err error = &LoadError{Reason: ReasonSyntaxError, Err: fe}
	var got *FunctionError
	if !errors.As(err, &got) || got != fe || !errors.Is(err, ErrInstanceDead) {
		t.Fatalf("LoadError does not unwrap to its FunctionError and ErrInstanceDead: %v", err)
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatal("not a *LoadError")
	}
	if r := le.Result(); r.Status != StatusFailed || r.Reason != ReasonSyntaxError || r.Error != fe || !r.Dead {
		t.Fatalf("Result() = %+v", r)
	}
}
