package runtime

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nonblockingPipe returns a pipe whose read end is non-blocking, as the
// sandbox drivers make their response pipes.
func nonblockingPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	r, w = os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	return r, w
}

// A read of an answer with the only call in flight waits in the kernel;
// one under load, or of another frame, waits in the poller. Either way it
// returns what the sandbox wrote, and EOF once it is gone. Not parallel:
// it sets the package's waitMS.
func TestWaitReader(t *testing.T) {
	defer func(ms int) { waitMS = ms }(waitMS)
	waitMS = 10_000 // longer than the test: a read that waits in the kernel is seen to
	for _, tc := range []struct {
		name     string
		answer   bool
		inFlight int32
		inKernel bool
	}{
		{"one call", true, 1, true},
		{"under load", true, 5, false},
		{"not an invocation's answer", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := nonblockingPipe(t)
			wr := newWaitReader(r)
			if wr == nil {
				t.Fatal("newWaitReader returned nil for a non-blocking pipe")
			}
			wr.answer = tc.answer
			invocations.Add(tc.inFlight)
			defer invocations.Add(-tc.inFlight)
			type read struct {
				b   []byte
				err error
			}
			got := make(chan read, 1)
			go func() {
				buf := make([]byte, 64)
				n, err := wr.Read(buf)
				got <- read{buf[:max(n, 0)], err}
			}()
			// The read is waiting once it has found the pipe empty.
			time.Sleep(50 * time.Millisecond)
			if in := waitingReaders.Load() == 1; in != tc.inKernel {
				t.Fatalf("waiting in the kernel: %v, want %v", in, tc.inKernel)
			}
			if _, err := w.Write([]byte("answer")); err != nil {
				t.Fatal(err)
			}
			select {
			case g := <-got:
				if g.err != nil || !bytes.Equal(g.b, []byte("answer")) {
					t.Fatalf("read %q, %v", g.b, g.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the read did not return the answer")
			}
			if n := waitingReaders.Load(); n != 0 {
				t.Fatalf("waitingReaders %d after the read", n)
			}
			_ = w.Close()
			if n, err := wr.Read(make([]byte, 8)); n != 0 || !errors.Is(err, io.EOF) {
				t.Fatalf("after the writer closed: %d, %v; want EOF", n, err)
			}
		})
	}
}

// A read that waited in the kernel past waitMS goes on waiting in the
// poller, and gives the kernel wait up to the next read.
func TestWaitReaderFallsBackToThePoller(t *testing.T) {
	defer func(ms int) { waitMS = ms }(waitMS)
	waitMS = 1
	r, w := nonblockingPipe(t)
	wr := newWaitReader(r)
	wr.answer = true
	go func() {
		time.Sleep(100 * time.Millisecond)
		_, _ = w.Write([]byte("late"))
	}()
	buf := make([]byte, 8)
	n, err := wr.Read(buf)
	if err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if n := waitingReaders.Load(); n != 0 {
		t.Fatalf("waitingReaders %d after the read", n)
	}
}

// A blocking descriptor is read as it is: its reads wait in the kernel.
func TestWaitReaderLeavesBlockingPipes(t *testing.T) {
	t.Parallel()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	r, w := os.NewFile(uintptr(p[0]), "r"), os.NewFile(uintptr(p[1]), "w")
	defer func() { _ = r.Close(); _ = w.Close() }()
	if wr := newWaitReader(r); wr != nil {
		t.Fatal("newWaitReader wrapped a blocking pipe")
	}
}
