package runtime

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Frame types. Upper-case letters travel host → sandbox on fd 3 (and the
// Go init's 'X'); the others sandbox → host on fd 4. See doc.go.
const (
	FrameLoad       byte = 'L' // host → sandbox: loadMsg JSON
	FrameInvoke     byte = 'I' // host → sandbox: u32 meta length, invokeMeta JSON, event JSON
	FrameSeed       byte = 'S' // host → sandbox: raw entropy for a restored runtime, no reply
	FrameReady      byte = 'R' // sandbox → host: readyMsg JSON, once, at start
	FrameLoaded     byte = 'K' // sandbox → host: empty, load succeeded
	FrameLoadFailed byte = 'F' // sandbox → host: errorMsg JSON
	FrameResult     byte = 'O' // sandbox → host: answerPrefix, the handler's result, raw JSON
	FrameError      byte = 'E' // sandbox → host: answerPrefix, errorMsg JSON
	FrameInitError  byte = 'X' // sandbox init → host: UTF-8 text, then it exits
)

// HeaderSize is the frame header: a big-endian uint32 body length and a
// type byte.
const HeaderSize = 5

// answerPrefix starts the body of an answer to a call (FrameResult,
// FrameError): a big-endian uint32, the call's time in the runtime in
// microseconds.
const answerPrefix = 4

// MaxFrameBody bounds any frame body the host accepts. It is above
// sandbox.MaxResultBytes/MaxEventBytes plus metadata; a larger frame is a
// protocol violation and the instance is killed.
const MaxFrameBody = 8 << 20

// Marker framing on stdout/stderr: after every load and invocation the
// bootstrap writes MarkPrefix + decimal seq + MarkSuffix + "\n" to both
// streams, so the host knows it has drained everything printed before.
const (
	MarkPrefix = "\x1evoltrun:mark:"
	MarkSuffix = "\x1e"
)

// ErrProtocol means the sandbox sent something that is not a valid frame.
var ErrProtocol = errors.New("sandbox protocol violation")

// AppendFrame appends a complete frame (header and body) to dst, so that it
// can be written with a single write call.
func AppendFrame(dst []byte, typ byte, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(body))) //nolint:gosec // bodies are bounded far below 4 GiB (MaxFrameBody)
	dst = append(dst, typ)
	return append(dst, body...)
}

// WriteFrame writes one frame with a single Write call.
func WriteFrame(w io.Writer, typ byte, body []byte) error {
	if _, err := w.Write(AppendFrame(make([]byte, 0, HeaderSize+len(body)), typ, body)); err != nil {
		return fmt.Errorf("write frame %q: %w", typ, err)
	}
	return nil
}

// ReadFrame reads one frame. The body is freshly allocated, so callers may
// keep it (results are passed through without copying).
func ReadFrame(r *bufio.Reader) (byte, []byte, error) {
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("read frame header: %w", io.EOF)
		}
		return 0, nil, fmt.Errorf("read frame header: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n > MaxFrameBody {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes exceeds %d", ErrProtocol, n, MaxFrameBody)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, fmt.Errorf("read frame body: %w", io.EOF)
	}
	return hdr[4], body, nil
}

// loadMsg is the body of FrameLoad.
type loadMsg struct {
	Seq             uint64            `json:"seq"`
	Handler         string            `json:"handler"`
	Env             map[string]string `json:"env"`
	FunctionName    string            `json:"function_name"`
	FunctionVersion string            `json:"function_version"`
	MemoryMB        int               `json:"memory_mb"`
	// DirectOutput: the host reads the output pipes itself after each
	// answer, so the bootstrap writes no drain markers.
	DirectOutput bool `json:"direct_output,omitempty"`
}

// invokeMeta is the metadata part of FrameInvoke.
type invokeMeta struct {
	Seq uint64 `json:"seq"`
	ID  string `json:"id"`
	// TimeoutMS is the call's time limit, counted from its start.
	TimeoutMS int64 `json:"timeout_ms"`
	// After, when set, is the seq of the call this one was sent behind
	// before that one answered (see doc.go).
	After uint64 `json:"after,omitempty"`
}

// readyMsg is the body of FrameReady.
type readyMsg struct {
	Runtime string `json:"runtime"`
	Version string `json:"version"`
}

// errorMsg is the body of FrameError and FrameLoadFailed.
type errorMsg struct {
	Reason  string   `json:"reason"`
	Type    string   `json:"type"`
	Message string   `json:"message"`
	Stack   []string `json:"stack"`
}

// appendInvoke appends a complete FrameInvoke to dst.
func appendInvoke(dst []byte, meta invokeMeta, event []byte) ([]byte, error) {
	m, err := json.Marshal(meta)
	if err != nil {
		return dst, fmt.Errorf("encode invoke meta: %w", err)
	}
	if len(event) == 0 {
		event = []byte("null")
	}
	bodyLen := 4 + len(m) + len(event)
	dst = binary.BigEndian.AppendUint32(dst, uint32(bodyLen)) //nolint:gosec // the event is bounded by sandbox.MaxEventBytes
	dst = append(dst, FrameInvoke)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(m))) //nolint:gosec // a few dozen bytes
	dst = append(dst, m...)
	return append(dst, event...), nil
}
