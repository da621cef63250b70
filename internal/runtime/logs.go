package runtime

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/voltrun/voltrun/internal/sandbox"
)

// maxPendingBytes bounds output printed outside any call (module import,
// timers between calls); it is handed to the next call's sink. Output of a
// pipelined call printed before its turn is held under that call's own
// budget instead (logMux.held).
const maxPendingBytes = 64 << 10

const (
	streamOut = 0
	streamErr = 1
)

var streamNames = [2]string{sandbox.StreamStdout, sandbox.StreamStderr}

type logLine struct {
	stream string
	text   string
	after  uint64 // the stream's marker when it came: it is a later call's
}

// logMux attributes the lines read from a sandbox's stdout and stderr to the
// call in progress, enforces the per-call budget, and tracks the markers
// that tell a call its output has been fully drained. A stream that passed
// the call's marker holds its later lines for the next call: they were
// printed after the call ended.
type logMux struct {
	mu        sync.Mutex
	active    bool   // a call is in progress; lines go to sink
	seq       uint64 // the call's request seq
	sink      sandbox.LogSink
	used      int
	truncated bool

	pending        []logLine
	pendingBytes   int // of the lines no call is known to own
	pendingDropped bool
	// held has an entry for each call with a pipelined call behind it, by
	// the first call's seq, from when the second is sent until it begins.
	// Lines after that seq's marker are the second call's: they are held
	// up to its budget, however little the server has read of its turn.
	held map[uint64]*heldOutput

	marks   [2]uint64 // highest marker seq seen per stream
	eof     [2]bool
	waitSeq uint64
	waitCh  chan struct{}

	// strict: a marker counts only up to wantMark, the highest one the
	// bootstrap was asked for. With direct output it writes them only
	// ahead of pipelined calls; any other marker-shaped line is the
	// function's own output.
	strict   bool
	wantMark uint64

	heapOOM bool // stderr showed V8's "JavaScript heap out of memory"
}

// heldOutput is what a pipelined call printed before its turn.
type heldOutput struct {
	bytes int
	over  bool // more came than the call's budget: it was dropped
}

// begin starts call seq: pending output is delivered to sink first, but
// for what came after seq's own marker (pipelined calls behind it printed
// it).
func (m *logMux) begin(sink sandbox.LogSink, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active, m.seq, m.sink, m.used, m.truncated = true, seq, sink, 0, false
	pending, dropped := m.pending, m.pendingDropped
	m.pending, m.pendingBytes, m.pendingDropped = nil, 0, false
	for _, l := range pending {
		if l.after >= seq {
			m.pending = append(m.pending, l)
			if m.held[l.after] == nil {
				m.pendingBytes += len(l.text)
			}
			continue
		}
		m.deliverLocked(l.stream, l.text)
	}
	if dropped {
		m.deliverLocked(sandbox.StreamSystem, "[truncated: output printed outside an invocation exceeded 64 KiB]")
	}
	for after, h := range m.held {
		if after >= seq {
			continue
		}
		if h.over && !m.truncated {
			m.truncated = true
			if sink != nil {
				sink(sandbox.StreamSystem, sandbox.TruncatedNote)
			}
		}
		delete(m.held, after)
	}
}

// end finishes a call; later lines are held as pending. It reports whether
// the call's output was truncated.
func (m *logMux) end() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active, m.sink = false, nil
	return m.truncated
}

// line handles one complete line from a stream.
func (m *logMux) line(stream int, text string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name := streamNames[stream]
	if stream == streamErr && !m.heapOOM && strings.Contains(text, "JavaScript heap out of memory") {
		m.heapOOM = true
	}
	if !m.active || m.marks[stream] >= m.seq {
		after := m.marks[stream]
		if h := m.held[after]; h != nil {
			if h.over || h.bytes+len(text) > sandbox.MaxLogBytes {
				h.over = true
				return
			}
			h.bytes += len(text)
		} else {
			if m.pendingBytes+len(text) > maxPendingBytes {
				m.pendingDropped = true
				return
			}
			m.pendingBytes += len(text)
		}
		m.pending = append(m.pending, logLine{name, text, after})
		return
	}
	m.deliverLocked(name, text)
}

func (m *logMux) deliverLocked(stream, text string) {
	if m.truncated {
		return
	}
	if m.used+len(text) > sandbox.MaxLogBytes {
		m.truncated = true
		if m.sink != nil {
			m.sink(sandbox.StreamSystem, sandbox.TruncatedNote)
		}
		return
	}
	m.used += len(text)
	if m.sink != nil {
		m.sink(stream, text)
	}
}

// expectMark records that a call is pipelined behind call seq: the
// bootstrap will write marker seq, and what follows it is the next call's.
func (m *logMux) expectMark(seq uint64) {
	m.mu.Lock()
	m.wantMark = max(m.wantMark, seq)
	if m.held == nil {
		m.held = map[uint64]*heldOutput{}
	}
	m.held[seq] = &heldOutput{}
	m.mu.Unlock()
}

// isMark reports whether a marker of seq on stream counts as one.
func (m *logMux) isMark(stream int, seq uint64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.strict || (seq <= m.wantMark && seq > m.marks[stream])
}

// mark records that stream has drained up to seq.
func (m *logMux) mark(stream int, seq uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq > m.marks[stream] {
		m.marks[stream] = seq
	}
	m.notifyLocked()
}

// closed records that a stream reached EOF (the sandbox is gone).
func (m *logMux) closed(stream int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.eof[stream] = true
	m.notifyLocked()
}

func (m *logMux) doneLocked(seq uint64) bool {
	for s := range 2 {
		if m.marks[s] < seq && !m.eof[s] {
			return false
		}
	}
	return true
}

func (m *logMux) notifyLocked() {
	if m.waitCh != nil && m.doneLocked(m.waitSeq) {
		close(m.waitCh)
		m.waitCh = nil
	}
}

// drained returns a channel closed once both streams reached marker seq (or
// EOF). seq 0 waits for EOF on both.
func (m *logMux) drained(seq uint64) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan struct{})
	if seq == 0 {
		seq = ^uint64(0)
	}
	if m.doneLocked(seq) {
		close(ch)
		return ch
	}
	if m.waitCh != nil {
		close(m.waitCh) // a stale waiter: let it go, it re-checks nothing
	}
	m.waitSeq, m.waitCh = seq, ch
	return ch
}

func (m *logMux) sawHeapOOM() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.heapOOM
}

// pendingText returns the held output (start-up errors) for diagnostics.
func (m *logMux) pendingText() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	for _, l := range m.pending {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// readStream splits r into lines for mux until EOF. Lines longer than
// sandbox.MaxLogLineBytes are cut into pieces, never through a marker.
func readStream(r io.Reader, stream int, mux *logMux) {
	defer mux.closed(stream)
	s := splitter{emit: func(b []byte) { handleLine(b, stream, mux) }}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.feed(buf[:n])
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				mux.line(stream, "[log stream error: "+err.Error()+"]")
			}
			s.flush()
			return
		}
	}
}

// directStream reads the host end of a sandbox's own output pipe (a
// non-blocking descriptor the Go runtime polls) like readStream, and can
// also be drained on demand: every read and the handling of its bytes
// happen under mu, so once drain returns, whatever the sandbox had written
// to the pipe before has been delivered to mux.
type directStream struct {
	stream int
	mux    *logMux
	conn   syscall.RawConn

	mu    sync.Mutex
	split splitter
	buf   []byte
}

func newDirectStream(conn syscall.RawConn, stream int, mux *logMux) *directStream {
	d := &directStream{stream: stream, mux: mux, conn: conn, buf: make([]byte, 32<<10)}
	// Drain markers come this way only ahead of pipelined calls.
	d.split.emit = func(b []byte) { handleLine(b, stream, mux) }
	return d
}

// run reads until EOF, waiting in the poller while the pipe is empty. A
// read that did not fill the buffer emptied the pipe, so it waits for the
// next write's readiness event at once instead of reading again to be told
// EAGAIN: a drain marker then costs one read, not two. It does so inside
// one RawConn.Read, which only drops readiness that came before it starts;
// the next write to the emptied pipe signals readiness on any kernel.
func (d *directStream) run() {
	defer d.mux.closed(d.stream)
	var rerr error
	err := d.conn.Read(func(fd uintptr) bool {
		for {
			// Unlocked between reads: a writer that keeps the pipe full
			// must not keep a drain out.
			d.mu.Lock()
			var n int
			n, rerr = d.readLocked(fd)
			d.mu.Unlock()
			switch {
			case errors.Is(rerr, unix.EAGAIN):
				rerr = nil
				return false
			case rerr != nil || n == 0: // EOF
				return true
			case n < len(d.buf):
				return false
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		d.mux.line(d.stream, "[log stream error: "+err.Error()+"]")
	}
	d.mu.Lock()
	d.split.flush()
	d.mu.Unlock()
}

// maxDrainBytes bounds one drain. A pipe holds at most fs.pipe-max-size
// (1 MiB unless the host raised it), so a drain still takes everything
// written before the answer, and a process that keeps writing after it (a
// child left running) cannot hold the call.
const maxDrainBytes = 1 << 20

// drainStreams delivers everything the pipes of out and errOut hold now,
// and the unfinished last line of each, without waiting for more. One
// poll of both finds which hold anything: most answers come with nothing
// printed, and reading each empty pipe to find that cost a system call
// per stream on every call.
func drainStreams(out, errOut *directStream) {
	_ = out.conn.Control(func(outFD uintptr) {
		_ = errOut.conn.Control(func(errFD uintptr) {
			fds := [2]unix.PollFd{{Fd: int32(outFD), Events: unix.POLLIN}, {Fd: int32(errFD), Events: unix.POLLIN}} //nolint:gosec // descriptor numbers fit in an int32
			_, err := unix.Poll(fds[:], 0)
			// Interrupted, or refused: read both to be sure.
			out.drainFD(outFD, err != nil || fds[0].Revents != 0)
			errOut.drainFD(errFD, err != nil || fds[1].Revents != 0)
		})
	})
}

// drainFD reads fd until it is empty when read is set, then flushes
// the unfinished last line, which a read by run may have left.
func (d *directStream) drainFD(fd uintptr, read bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for n := 0; read && n < maxDrainBytes; {
		got, err := d.readLocked(fd)
		if got <= 0 || err != nil {
			break
		}
		n += got
	}
	d.split.flush()
}

// readLocked reads once and splits what came; n is 0 at EOF.
func (d *directStream) readLocked(fd uintptr) (int, error) {
	for {
		n, err := unix.Read(int(fd), d.buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return -1, err
		}
		d.split.feed(d.buf[:n])
		return n, nil
	}
}

func handleLine(b []byte, stream int, mux *logMux) {
	if bytes.HasSuffix(b, []byte(MarkSuffix)) {
		if i := bytes.LastIndex(b, []byte(MarkPrefix)); i >= 0 {
			digits := b[i+len(MarkPrefix) : len(b)-len(MarkSuffix)]
			if seq, err := strconv.ParseUint(string(digits), 10, 64); err == nil && mux.isMark(stream, seq) {
				if i > 0 {
					mux.line(stream, string(b[:i]))
				}
				mux.mark(stream, seq)
				return
			}
		}
	}
	mux.line(stream, string(b))
}

// maxMarkLen bounds a marker line's length (prefix, 20 digits, suffix).
const maxMarkLen = len(MarkPrefix) + 20 + len(MarkSuffix)

// splitter turns a byte stream into lines of at most
// sandbox.MaxLogLineBytes, without the trailing newline.
type splitter struct {
	buf  []byte
	emit func([]byte)
	max  int // 0 means sandbox.MaxLogLineBytes; tests shrink it
}

func (s *splitter) feed(p []byte) {
	limit := s.max
	if limit == 0 {
		limit = sandbox.MaxLogLineBytes
	}
	s.buf = append(s.buf, p...)
	start := 0
	for {
		rest := s.buf[start:]
		i := bytes.IndexByte(rest, '\n')
		if i >= 0 && i <= limit {
			s.emit(rest[:i])
			start += i + 1
			continue
		}
		if len(rest) < limit && i < 0 {
			break
		}
		// Over-long line: cut at limit, but not inside a marker that may
		// be starting near the end of the piece.
		cut := limit
		tailFrom := max(0, limit-maxMarkLen)
		if j := bytes.LastIndexByte(rest[tailFrom:limit], MarkPrefix[0]); j >= 0 && tailFrom+j > 0 {
			cut = tailFrom + j
		}
		s.emit(rest[:cut])
		start += cut
	}
	s.buf = append(s.buf[:0], s.buf[start:]...)
}

func (s *splitter) flush() {
	if len(s.buf) > 0 {
		s.emit(s.buf)
		s.buf = s.buf[:0]
	}
}
