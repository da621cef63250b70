//go:build linux

package gvinit

import (
	"encoding/binary"
	"io"
	"strconv"
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
// with types MuxStdout and MuxStderr (raw output bytes, in the order the
// init read them) and MuxStatus ("exit N" or "signal N", written once, last).
// The host's reader is the gvisor driver's.
const (
	MuxStdout byte = 'o'
	MuxStderr byte = 'e'
	MuxStatus byte = 's'

	MuxHeader = 5
	// RelayChunk is the most the init writes in one frame.
	RelayChunk = 32 << 10
)

// MuxWriter is the init's side: it frames chunks onto one descriptor. It is
// safe for concurrent use.
type MuxWriter struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewMuxWriter frames onto w.
func NewMuxWriter(w io.Writer) *MuxWriter { return &MuxWriter{w: w} }

// Send sends p as one frame of type typ.
func (m *MuxWriter) Send(typ byte, p []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf = binary.BigEndian.AppendUint32(m.buf[:0], uint32(len(p))) //nolint:gosec // bounded by RelayChunk
	m.buf = append(m.buf, typ)
	m.buf = append(m.buf, p...)
	_, err := m.w.Write(m.buf)
	return err
}

// ExitStatus is how the runtime ended, as the init reports it.
type ExitStatus struct {
	Signal syscall.Signal // non-zero if killed by a signal
	Code   int            // exit code otherwise
}

// String is how the init reports s on the log stream: "exit N" or
// "signal N".
func (s ExitStatus) String() string {
	if s.Signal != 0 {
		return "signal " + strconv.Itoa(int(s.Signal))
	}
	return "exit " + strconv.Itoa(s.Code)
}
