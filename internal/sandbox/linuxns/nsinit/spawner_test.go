//go:build linux

package nsinit

import (
	"bytes"
	"testing"
)

// TestSpawnRequestEncoding: a request is the uid base and the flags, each
// a big-endian u32, as the spawner reads them.
func TestSpawnRequestEncoding(t *testing.T) {
	got := SpawnRequest{UIDBase: 100000, CodeDir: true, CgroupFD: true}.Encode()
	want := []byte{0, 1, 0x86, 0xa0, 0, 0, 0, 3}
	if !bytes.Equal(got, want) {
		t.Fatalf("%x, want %x", got, want)
	}
	if got := (SpawnRequest{UIDBase: 1}).Encode(); !bytes.Equal(got, []byte{0, 0, 0, 1, 0, 0, 0, 0}) {
		t.Fatalf("%x", got)
	}
}

// TestParseSpawnReply: a pid, or why there is none; anything else is an
// error, never a pid.
func TestParseSpawnReply(t *testing.T) {
	for _, c := range []struct {
		reply []byte
		pid   int
		err   string
	}{
		{[]byte{0, 0, 0x30, 0x39}, 12345, ""},
		{append([]byte{0, 0, 0, 0}, "start sandbox init: clone: Invalid argument"...), 0, "start sandbox init: clone: Invalid argument"},
		{[]byte{0, 0, 0, 0}, 0, "the spawner started no init and did not say why"},
		{[]byte{0xff, 0xff, 0xff, 0xff}, 0, "the spawner started no init and did not say why"},
		{[]byte{0, 1}, 0, "spawn reply of 2 bytes"},
	} {
		pid, err := ParseSpawnReply(c.reply)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if pid != c.pid || msg != c.err {
			t.Errorf("%x: pid %d, error %q; want %d, %q", c.reply, pid, msg, c.pid, c.err)
		}
	}
}
