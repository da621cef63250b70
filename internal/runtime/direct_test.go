package runtime

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// TestLocalDirectOutput: with DirectOutput the bootstrap writes no drain
// markers (a marker would show among the lines), and every line printed
// before an answer still belongs to its call: from the function, from a
// child process writing to the inherited fds, and from a write too big for
// the pipe that the runtime had to queue. A line printed after the answer
// goes to the next call, and a line the function prints in a marker's shape
// is its output like any other.
func TestLocalDirectOutput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rt, file, code, handler string
	}{
		{sandbox.RuntimeNode, "index.js", `const { execSync } = require("child_process");
exports.handler = async (e) => {
  if (e.big) { process.stdout.write("z".repeat(200000) + "\n"); console.log("after big"); return "big"; }
  if (e.mark) { console.log("\x1evoltrun:mark:9\x1e"); return "mark"; }
  console.log("out " + e.n);
  console.error("err " + e.n);
  execSync("echo child " + e.n, { stdio: ["ignore", "inherit", "inherit"] });
  if (e.later) setTimeout(() => console.log("later " + e.n), 10);
  process.stdout.write("partial " + e.n);
  return e.n;
};`, "index.handler"},
		{sandbox.RuntimePython, "main.py", `import subprocess, sys, threading
def handler(e, c):
    if e.get("big"):
        sys.stdout.write("z" * 200000 + "\n")
        print("after big")
        return "big"
    if e.get("mark"):
        print("\x1evoltrun:mark:9\x1e")
        return "mark"
    print("out %d" % e["n"])
    print("err %d" % e["n"], file=sys.stderr)
    subprocess.run(["echo", "child %d" % e["n"]])
    if e.get("later"):
        threading.Timer(0.01, print, ["later %d" % e["n"]]).start()
    sys.stdout.write("partial %d" % e["n"])
    return e["n"]
`, "main.handler"},
	}
	for _, tc := range cases {
		t.Run(tc.rt, func(t *testing.T) {
			t.Parallel()
			l := startLocalWith(t, tc.rt, map[string]string{tc.file: tc.code}, localOptions{direct: true})
			ctx := context.Background()
			if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: tc.handler}); err != nil {
				t.Fatal(err)
			}
			call := func(event string) []string {
				t.Helper()
				var logs logRec
				res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Event: []byte(event), Deadline: time.Now().Add(10 * time.Second)}, logs.sink)
				if err != nil || res.Status != sandbox.StatusSucceeded {
					t.Fatalf("invoke %s: %+v %v %+v", event, res, err, res.Error)
				}
				return logs.all()
			}
			want := []string{"stdout: out 1", "stderr: err 1", "stdout: child 1", "stdout: partial 1"}
			if g := call(`{"n":1,"later":true}`); !sameLines(g, want) {
				t.Errorf("call 1 logs %q, want %q", g, want)
			}
			time.Sleep(200 * time.Millisecond) // the timer prints between calls
			want = []string{"stdout: later 1", "stdout: out 2", "stderr: err 2", "stdout: child 2", "stdout: partial 2"}
			if g := call(`{"n":2}`); !sameLines(g, want) {
				t.Errorf("call 2 logs %q, want %q", g, want)
			}
			big := call(`{"big":true}`)
			if len(big) == 0 || big[len(big)-1] != "stdout: after big" || len(strings.Join(big, "")) < 200000 {
				t.Errorf("big call: %d lines, ending %q", len(big), big[max(0, len(big)-1):])
			}
			want = []string{"stdout: out 3", "stderr: err 3", "stdout: child 3", "stdout: partial 3"}
			if g := call(`{"n":3}`); !sameLines(g, want) {
				t.Errorf("call after the big one: %d lines, starting %q, want %q", len(g), g[:min(1, len(g))], want)
			}
			want = []string{"stdout: " + MarkPrefix + "9" + MarkSuffix}
			if g := call(`{"mark":true}`); !sameLines(g, want) {
				t.Errorf("a marker-shaped line: logs %q, want %q", g, want)
			}
		})
	}
}

// TestDirectOutputNeedsFiles: streams that are not files cannot be drained
// directly, so the client asks for markers instead.
func TestDirectOutputNeedsFiles(t *testing.T) {
	t.Parallel()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	defer outW.Close()
	defer errW.Close()
	c := NewClient(ClientConfig{Requests: io.Discard, Responses: strings.NewReader(""), Stdout: outR, Stderr: errR, DirectOutput: true, Kill: func(error) {}})
	if c.cfg.DirectOutput || c.direct[0] != nil {
		t.Fatal("DirectOutput kept for io.Pipe streams")
	}
}

// TestDirectOutputEndlessWriter: a child left running that writes without
// pause cannot hold the calls: each drain reads a bounded amount.
func TestDirectOutputEndlessWriter(t *testing.T) {
	t.Parallel()
	l := startLocalWith(t, sandbox.RuntimeNode, map[string]string{"index.js": `const { spawn } = require("child_process");
let child;
exports.handler = async (e) => {
  if (e.stop) { child.kill("SIGKILL"); return "stopped"; }
  child ??= spawn("/bin/dd", ["if=/dev/zero", "bs=1M"], { stdio: ["ignore", "inherit", "ignore"] });
  await new Promise((r) => setTimeout(r, 50));
  return "started";
};`}, localOptions{direct: true})
	ctx := context.Background()
	if err := l.client.Load(ctx, sandbox.LoadRequest{Handler: "index.handler"}); err != nil {
		t.Fatal(err)
	}
	for _, event := range []string{`{}`, `{"n":1}`, `{"stop":true}`} {
		res, err := l.client.Invoke(ctx, sandbox.Request{ID: "e", Event: []byte(event), Deadline: time.Now().Add(10 * time.Second)}, nil)
		if err != nil || res.Status != sandbox.StatusSucceeded {
			t.Fatalf("invoke %s: %+v %v", event, res, err)
		}
		if event != `{"stop":true}` && !res.LogsTruncated {
			t.Errorf("invoke %s: logs not truncated while the child wrote", event)
		}
	}
}

// TestDirectStreamReadsEachWrite: the stream reader waits for the next
// write as soon as a read empties the pipe, without reading again first.
// Every write to the emptied pipe must still reach the call, even one made
// while the reader is still handling the read that emptied it (here the
// sink writes the next line), and a write larger than the reader's buffer
// arrives whole; at EOF the reader ends.
func TestDirectStreamReadsEachWrite(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	const chained = 200
	lines := make(chan string, 8192)
	var mux logMux
	mux.begin(func(stream, line string) {
		var i int
		if _, err := fmt.Sscanf(line, "line %d", &i); err == nil && i+1 < chained {
			_, _ = fmt.Fprintf(w, "line %d\n", i+1)
		}
		lines <- stream + ":" + line
	}, 1)
	d := newDirectStream(rawConn(r), streamOut, &mux)
	done := make(chan struct{})
	go func() { defer close(done); d.run() }()
	next := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q not read: a write to the emptied pipe was missed", want)
		}
	}
	if _, err := io.WriteString(w, "line 0\n"); err != nil {
		t.Fatal(err)
	}
	for i := range chained {
		next(fmt.Sprintf("stdout:line %d", i))
	}
	var big strings.Builder
	for i := range 6000 {
		fmt.Fprintf(&big, "big line %04d\n", i)
	}
	if big.Len() <= len(d.buf) {
		t.Fatalf("write of %d bytes does not fill the %d-byte buffer", big.Len(), len(d.buf))
	}
	go func() { _, _ = io.WriteString(w, big.String()) }()
	for i := range 6000 {
		next(fmt.Sprintf("stdout:big line %04d", i))
	}
	_ = w.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the reader did not end at EOF")
	}
}
