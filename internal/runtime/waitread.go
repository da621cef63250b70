package runtime

import (
	"errors"
	"io"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// invocations counts the calls in flight on all clients; waitingReaders
// is 1 while a response read waits in the kernel.
var invocations, waitingReaders atomic.Int32

// waitMS bounds how long a read waits in the kernel before it parks in
// the Go runtime's poller instead (a variable for tests).
var waitMS = 2

// waitReader reads the host end of a non-blocking response pipe. While
// it reads an invocation's answer and no other call is in flight, a read
// that finds the pipe empty waits in the kernel (poll(2), up to waitMS),
// so the sandbox's answer wakes this thread itself; parked in the poller,
// the answer wakes the poller's thread, which hands the goroutine to
// another: 21-25 µs of a Node call's p50 at one connection
// (docs/benchmarks.md, round 13). Every other read parks in the poller:
// under load, and while sandboxes start (their ready and load answers
// take milliseconds), a thread waiting in a system call would hold its
// processor until the runtime's monitor takes it back.
type waitReader struct {
	conn syscall.RawConn
	// answer is set while the client reads an invocation's answer; only
	// the call whose turn it is reads.
	answer bool
}

// newWaitReader returns a waitReader for a non-blocking *os.File, and nil
// for anything else.
func newWaitReader(r io.Reader) *waitReader {
	conn := rawConn(r)
	if conn == nil {
		return nil
	}
	nonblocking := false
	_ = conn.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		nonblocking = err == nil && flags&unix.O_NONBLOCK != 0
	})
	if !nonblocking {
		return nil // its reads wait in the kernel already
	}
	return &waitReader{conn: conn}
}

func (w *waitReader) Read(p []byte) (int, error) {
	var n int
	var rerr error
	wait := w.answer && invocations.Load() <= 1 && waitingReaders.CompareAndSwap(0, 1)
	err := w.conn.Read(func(fd uintptr) bool {
		for {
			n, rerr = unix.Read(int(fd), p)
			switch {
			case errors.Is(rerr, unix.EINTR):
				continue
			case !errors.Is(rerr, unix.EAGAIN):
				return true
			case !wait:
				return false // wait in the poller
			}
			fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}} //nolint:gosec // descriptor numbers fit in an int32
			if k, perr := unix.Poll(fds[:], waitMS); k <= 0 && !errors.Is(perr, unix.EINTR) {
				wait = false
				waitingReaders.Store(0)
				return false
			}
		}
	})
	if wait {
		waitingReaders.Store(0)
	}
	if err == nil {
		err = rerr
	}
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
