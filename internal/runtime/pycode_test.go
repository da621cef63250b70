package runtime

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// TestPythonStartsFromCode: the Python runtime runs the bootstrap the host
// compiled, without its source; a code file from another Python or a
// broken one falls back to the source.
func TestPythonStartsFromCode(t *testing.T) {
	code, err := CompilePython()
	if err != nil {
		t.Fatal(err)
	}
	otherPython := append([]byte{0, 0, '\r', '\n'}, code[4:]...)
	for _, c := range []struct {
		name       string
		code       []byte
		keepSource bool
	}{
		{"compiled, source removed", code, false},
		{"another python's magic", otherPython, true},
		{"truncated", code[:len(code)/2], true},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := startLocalWith(t, sandbox.RuntimePython, map[string]string{"main.py": "def handler(e, c):\n    return e['n'] + 1\n"}, localOptions{prepare: func(boot string) {
				if err := bootstrap.WritePythonCode(boot, c.code); err != nil {
					t.Fatal(err)
				}
				if !c.keepSource {
					if err := os.Remove(filepath.Join(boot, "bootstrap.py")); err != nil {
						t.Fatal(err)
					}
				}
			}})
			if err := l.client.Load(context.Background(), sandbox.LoadRequest{Handler: "main.handler"}); err != nil {
				t.Fatal(err)
			}
			res, err := l.client.Invoke(context.Background(), sandbox.Request{ID: "e", Event: []byte(`{"n":41}`), Deadline: time.Now().Add(5 * time.Second)}, nil)
			if err != nil || res.Status != sandbox.StatusSucceeded || string(res.Payload) != "42" {
				t.Fatalf("invoke: %+v %v", res, err)
			}
		})
	}
}
