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
	"syscall"

	"github.com/voltrun/voltrun/internal/sandbox/gvisor/gvinit"
)

// The sandbox's fd 2 carries the runtime's stdout and stderr, multiplexed by
// the in-sandbox init (gvinit.MuxWriter, which documents the framing),
// followed by the runtime's exit status. muxMaxBody bounds a frame: the
// init never writes more than gvinit.RelayChunk at once; anything larger is
// corruption.
const muxMaxBody = 1 << 20

func parseExitStatus(b []byte) (gvinit.ExitStatus, error) {
	kind, num, ok := strings.Cut(string(b), " ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return gvinit.ExitStatus{}, fmt.Errorf("malformed exit status %q", b)
	}
	switch kind {
	case "exit":
		return gvinit.ExitStatus{Code: n}, nil
	case "signal":
		return gvinit.ExitStatus{Signal: syscall.Signal(n)}, nil
	}
	return gvinit.ExitStatus{}, fmt.Errorf("malformed exit status %q", b)
}

// errMuxCorrupt means the log stream was not made of valid frames: runsc
// wrote an error message there, or the init crashed mid-frame.
var errMuxCorrupt = errors.New("corrupt sandbox log stream")

// demux is the host's side: it splits the stream into two readers for
// runtime.Client and records the exit status. Both readers reach EOF when
// the stream ends (the sandbox exited or was killed).
type demux struct {
	Stdout, Stderr *io.PipeReader

	done   chan struct{}      // closed when the stream ended
	status *gvinit.ExitStatus // set before done closes, if the init reported one
	err    error              // why the stream ended, if not cleanly
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
	var hdr [gvinit.MuxHeader]byte
	body := make([]byte, 0, gvinit.RelayChunk)
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
		case gvinit.MuxStdout:
			_, _ = out.Write(body) // fails only once the client stopped reading
		case gvinit.MuxStderr:
			_, _ = errw.Write(body)
		case gvinit.MuxStatus:
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
func (d *demux) exited() (st gvinit.ExitStatus, ok bool) {
	<-d.done
	if d.status == nil {
		return gvinit.ExitStatus{}, false
	}
	return *d.status, true
}
