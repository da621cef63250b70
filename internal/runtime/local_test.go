package runtime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
	"github.com/voltrun/voltrun/internal/sandbox"
)

// local runs a bootstrap as a plain child process (no isolation): it tests
// the protocol and the bootstraps quickly; isolation is the drivers' job and
// is tested in sandboxtest.
type local struct {
	client *Client
	cmd    *exec.Cmd
	done   chan struct{}
}

// handlerFor is the handler of the one-file functions that tests give each
// runtime: index.js for Node, main.py for Python.
var handlerFor = map[string]string{sandbox.RuntimeNode: "index.handler", sandbox.RuntimePython: "main.handler"}

func startLocal(t testing.TB, rt string, files map[string]string) *local {
	t.Helper()
	return startLocalWith(t, rt, files, localOptions{})
}

// localOptions vary startLocal's set-up.
type localOptions struct {
	prepare func(boot string) // run on the bootstraps' dir before the runtime starts
	direct  bool              // output pipes polled and drained directly (ClientConfig.DirectOutput), as linuxns has them
	env     []string          // added to the runtime's environment
}

func startLocalWith(t testing.TB, rt string, files map[string]string, o localOptions) *local {
	t.Helper()
	if _, err := os.Stat(bootstrap.NodePath); err != nil {
		t.Skipf("no %s: %v", bootstrap.NodePath, err)
	}
	task := t.TempDir()
	for name, body := range files {
		p := filepath.Join(task, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	boot := t.TempDir()
	if err := bootstrap.Write(boot); err != nil {
		t.Fatal(err)
	}
	if o.prepare != nil {
		o.prepare(boot)
	}
	c, err := bootstrap.CommandFor(rt, 128, boot)
	if err != nil {
		t.Fatal(err)
	}
	reqR, reqW := pipe(t)
	respR, respW := pipe(t)
	outPipe := pipe
	if o.direct {
		outPipe = polledPipe
	}
	outR, outW := outPipe(t)
	errR, errW := outPipe(t)
	cmd := &exec.Cmd{
		Path: c.Path, Args: c.Args, Dir: task,
		Env:        append(append(c.Env, "VOLTRUN_TASK_ROOT="+task), o.env...),
		Stdout:     outW,
		Stderr:     errW,
		ExtraFiles: []*os.File{reqR, respW},
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []*os.File{reqR, respW, outW, errW} {
		f.Close()
	}
	l := &local{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(l.done) }()
	l.client = NewClient(ClientConfig{
		Requests: reqW, Responses: respR, Stdout: outR, Stderr: errR, DirectOutput: o.direct,
		Kill: func(error) { _ = cmd.Process.Kill() },
	})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-l.done
		reqW.Close()
		respR.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := l.client.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	return l
}

// pipe returns a blocking pipe (the drivers use blocking fds on purpose).
func pipe(t testing.TB) (*os.File, *os.File) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
}

// polledPipe is pipe with a non-blocking read end, which the Go runtime
// polls, as linuxns creates a sandbox's output pipes.
func polledPipe(t testing.TB) (*os.File, *os.File) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	if err := syscall.SetNonblock(p[0], true); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
}
