package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// runMainEnv makes this test binary run main (see TestMain).
const runMainEnv = "VOLTRUN_TEST_RUN_MAIN"

// serverProcess is the real server running as a child process: this test
// binary re-executed as `voltrun server`.
type serverProcess struct {
	*testServer
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer // its log
}

// startProcess starts a server process on a random port with dataDir and
// env, and stops it (SIGTERM, then SIGKILL) when the test ends.
func startProcess(t testing.TB, dataDir string, env map[string]string) *serverProcess {
	t.Helper()
	requireSandbox(t)
	cmd := exec.Command(os.Args[0], "server", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "VOLTRUN_LOG_FORMAT=json", "VOLTRUN_LOG_LEVEL=info")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	p := &serverProcess{cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server process: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			p.mu.Lock()
			p.out.Write(line)
			p.out.WriteByte('\n')
			p.mu.Unlock()
			var entry struct{ Msg, Addr string }
			if json.Unmarshal(line, &entry) == nil && entry.Msg == "voltrun listening" {
				addr <- entry.Addr
			}
		}
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			t.Error("server process did not stop within 30s of SIGTERM")
			_ = cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("server process log:\n%s", p.log())
		}
	})
	select {
	case a := <-addr:
		p.testServer = &testServer{t: t, URL: "http://" + a, dataDir: dataDir, stop: func() {}}
	case <-p.exited:
		t.Fatalf("server process exited before listening:\n%s", p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("server process did not listen within 60s:\n%s", p.log())
	}
	return p
}

func (p *serverProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// kill ends the process with SIGKILL: no shutdown, no final flush.
func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("server process survived SIGKILL for 30s")
	}
}

// TestAsyncSurvivesKill: with calls queued and running, the server is
// killed with SIGKILL; started again on the same data dir, it runs every
// one of them to success.
func TestAsyncSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VOLTRUN_ASYNC_CONCURRENCY": "2", "VOLTRUN_ASYNC_ACK_WAIT": "3s"}
	p := startProcess(t, dir, env)
	auth := bearer(p.register("kill@example.com"))
	p.deploy(auth, map[string]any{
		"name": "steady", "runtime": "nodejs", "max_concurrency": 2,
		"code": `exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 150)); return e.n; };`,
	})
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = p.async(auth, "steady", map[string]any{"n": i})
	}
	// Kill once a few have run, with the rest queued or in flight.
	deadline := time.Now().Add(60 * time.Second)
	for p.succeeded(auth, ids[:8]) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("no call finished within 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := p.succeeded(auth, ids)
	p.kill(t)
	if done > n-10 {
		t.Fatalf("%d of %d calls had finished before the kill: too few were left queued", done, n)
	}
	t.Logf("killed the server with %d of %d calls finished, the rest queued or running", done, n)

	p2 := startProcess(t, dir, env) // the same JWT secret, database and JetStream store
	for i, id := range ids {
		e := p2.waitExecution(auth, id, 2*time.Minute, func(e map[string]any) bool { return e["status"] == "succeeded" })
		if e["output"] != float64(i) {
			t.Fatalf("call %d recorded output %v", i, e["output"])
		}
	}
	t.Logf("all %d calls completed after the restart", n)
}

// succeeded counts the ids whose execution reads succeeded.
func (s *testServer) succeeded(auth, ids []string) int {
	n := 0
	for _, id := range ids {
		if r := s.do("GET", "/api/executions/"+id, nil, auth...); r.Status == 200 && strings.Contains(string(r.Body), `"status":"succeeded"`) {
			n++
		}
	}
	return n
}

// TestServerCPUs: `voltrun server` runs its Go code on the processors
// VOLTRUN_SERVER_CPUS asks for, and GOMAXPROCS, when set, wins.
func TestServerCPUs(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want float64
	}{
		{"configured", map[string]string{"VOLTRUN_SERVER_CPUS": "3"}, 3},
		{"GOMAXPROCS wins", map[string]string{"VOLTRUN_SERVER_CPUS": "3", "GOMAXPROCS": "5"}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProcess(t, t.TempDir(), tc.env)
			var procs float64 = -1
			for line := range strings.Lines(p.log()) {
				var entry struct {
					Msg   string
					Procs float64
				}
				if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "voltrun listening" {
					procs = entry.Procs
				}
			}
			if procs != tc.want {
				t.Fatalf("listening with procs %v, want %v; log:\n%s", procs, tc.want, p.log())
			}
		})
	}
}
