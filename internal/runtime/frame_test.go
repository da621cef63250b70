package runtime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	bodies := [][]byte{nil, []byte(`{"a":1}`), bytes.Repeat([]byte("x"), 100000)}
	for i, b := range bodies {
		if err := WriteFrame(&buf, FrameResult+byte(i), b); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(&buf)
	for i, want := range bodies {
		typ, body, err := ReadFrame(r)
		if err != nil || typ != FrameResult+byte(i) || !bytes.Equal(body, want) {
			t.Fatalf("frame %d: %q %d bytes %v", i, typ, len(body), err)
		}
	}
	if _, _, err := ReadFrame(r); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

func TestReadFrameRejects(t *testing.T) {
	t.Parallel()
	huge := binary.BigEndian.AppendUint32(nil, MaxFrameBody+1)
	huge = append(huge, FrameResult)
	if _, _, err := ReadFrame(bufio.NewReader(bytes.NewReader(huge))); !errors.Is(err, ErrProtocol) {
		t.Errorf("oversized frame: %v, want ErrProtocol", err)
	}
	truncated := AppendFrame(nil, FrameResult, []byte("abcdef"))[:8]
	if _, _, err := ReadFrame(bufio.NewReader(bytes.NewReader(truncated))); !errors.Is(err, io.EOF) {
		t.Errorf("truncated frame: %v, want EOF", err)
	}
}

func TestAppendInvoke(t *testing.T) {
	t.Parallel()
	frame, err := appendInvoke(nil, invokeMeta{Seq: 7, ID: `e"1`, TimeoutMS: 42, After: 6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	typ, body, err := ReadFrame(bufio.NewReader(bytes.NewReader(frame)))
	if err != nil || typ != FrameInvoke {
		t.Fatal(typ, err)
	}
	n := binary.BigEndian.Uint32(body)
	var meta invokeMeta
	if err := json.Unmarshal(body[4:4+n], &meta); err != nil || meta.Seq != 7 || meta.ID != `e"1` || meta.TimeoutMS != 42 || meta.After != 6 {
		t.Fatalf("meta %+v %v", meta, err)
	}
	if ev := string(body[4+n:]); ev != "null" {
		t.Fatalf("empty event sent as %q, want null", ev)
	}
}
