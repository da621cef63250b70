//go:build linux

package gvisor

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// The sandbox's fd 2 carries the runtime's stdout and stderr, multiplexed by
// the in-sandbox init, followed by the runtime's exit status. gVisor re-maps
// only the container's stdio when it restores a snapshot, so the log streams
// have to share one host descriptor. Each chunk is one frame:
//
//	u32 big-endian body length, 1 type byte, body
//
// with types muxStdout and muxStderr (raw output bytes, in the order the
// init read them) and muxStatus ("exit N" or "signal N", written once, last).
const (
	muxStdout byte = 'o'
	muxStderr byte = 'e'
	muxStatus byte = 's'

	muxHeader = 5
	// muxMaxBody bounds a frame: the init never writes more than
	// relayChunk at once; anything larger is corruption.
	muxMaxBody = 1 << 20
	relayChunk = 32 << 10
)

// muxWriter is the init's side: it frames chunks onto one descriptor. It is
// safe for concurrent use.
type muxWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

func (m *muxWriter) write(typ byte, p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf = binary.BigEndian.AppendUint32(m.buf[:0], uint32(len(p))) //nolint:gosec // bounded by relayChunk
	m.buf = append(m.buf, typ)
	m.buf = append(m.buf, p...)
	_, err := m.w.Write(m.buf)
	return err
}

// exitStatus is how the runtime ended, as the init reported it.
type exitStatus struct {
	Signal syscall.Signal // non-zero if killed by a signal
	Code   int            // exit code otherwise
}

func (s exitStatus) String() string {
	if s.Signal != 0 {
		return "signal " + strconv.Itoa(int(s.Signal))
	}
	return "exit " + strconv.Itoa(s.Code)
}

func parseExitStatus(b []byte) (exitStatus, error) {
	kind, num, ok := strings.Cut(string(b), " ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return exitStatus{}, fmt.Errorf("malformed exit status %q", b)
	}
	switch kind {
	case "exit":
		return exitStatus{Code: n}, nil
	case "signal":
		return exitStatus{Signal: syscall.Signal(n)}, nil
	}
	return exitStatus{}, fmt.Errorf("malformed exit status %q", b)
}

// errMuxCorrupt means the log stream was not made of valid frames: runsc
// wrote an error message there, or the init crashed mid-frame.
var errMuxCorrupt = errors.New("corrupt sandbox log stream")

// demux is the host's side: it splits the stream into two readers for
// runtime.Client and records the exit status. Both readers reach EOF when
// the stream ends (the sandbox exited or was killed).
type demux struct {
	Stdout, Stderr *io.PipeReader

	done   chan struct{} // closed when the stream ended
	status *exitStatus   // set before done closes, if the init reported one
	err    error         // why the stream ended, if not cleanly
}

// newDemux starts reading r. onCorrupt is called (from the demux's
// goroutine) if the stream is not made of valid frames; the caller should
// kill the sandbox, whose output can no longer be attributed.
func newDemux(r io.Reader, onCorrupt func(error)) *demux {
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	d := &demux{Stdout: outR, Stderr: errR, done: make(chan struct{})}
	go d.run(bufio.NewReaderSize(r, 64<<10), outW, errW, onCorrupt)
	return d
}

func (d *demux) run(r *bufio.Reader, out, errw *io.PipeWriter, onCorrupt func(error)) {
	defer close(d.done)
	defer out.Close()
	defer errw.Close()
	defer func() {
		if errors.Is(d.err, errMuxCorrupt) {
			onCorrupt(d.err)
		}
	}()
	var hdr [muxHeader]byte
	body := make([]byte, 0, relayChunk)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if !errors.Is(err, io.EOF) {
				d.err = err
			}
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n > muxMaxBody {
			d.err = fmt.Errorf("%w: frame of %d bytes", errMuxCorrupt, n)
			return
		}
		body = body[:n]
		if _, err := io.ReadFull(r, body); err != nil {
			d.err = fmt.Errorf("%w: truncated frame: %w", errMuxCorrupt, err)
			return
		}
		switch hdr[4] {
		case muxStdout:
			_, _ = out.Write(body) // fails only once the client stopped reading
		case muxStderr:
			_, _ = errw.Write(body)
		case muxStatus:
			st, err := parseExitStatus(body)
			if err != nil {
				d.err = fmt.Errorf("%w: %w", errMuxCorrupt, err)
				return
			}
			d.status = &st
		default:
			d.err = fmt.Errorf("%w: frame type %q", errMuxCorrupt, hdr[4])
			return
		}
	}
}

// exited returns the runtime's reported status once the stream has ended.
// ok is false when the sandbox died without its init reporting one (it was
// killed from outside: the host OOM killer, a timeout, Destroy).
func (d *demux) exited() (st exitStatus, ok bool) {
	<-d.done
	if d.status == nil {
		return exitStatus{}, false
	}
	return *d.status, true
}
