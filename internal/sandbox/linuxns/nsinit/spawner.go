//go:build linux

package nsinit

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SpawnerArg0 is the argv[0] that makes cmd/voltrun-nsinit the spawner:
// it reads SpawnRequests on its fd 3, a SOCK_SEQPACKET socket, and answers
// each with the new init's pid (ParseSpawnReply).
const SpawnerArg0 = "voltrun-sandbox-spawner"

// MaxSpawnFDs is the most descriptors a SpawnRequest carries.
const MaxSpawnFDs = 7

// SpawnRequest asks the spawner for one sandbox. It travels with the
// init's descriptors attached (SCM_RIGHTS) in this order: its stdout,
// stderr, fds 3, 4 and 5, then fd 6 when CodeDir, then, when CgroupFD, the
// cgroup (v2) to start it in.
type SpawnRequest struct {
	UIDBase  int
	CodeDir  bool
	CgroupFD bool
}

// Flags of an encoded SpawnRequest.
const (
	spawnCodeDir  = 1
	spawnCgroupFD = 2
)

// Encode returns the request as the spawner reads it: a big-endian u32
// uid base, then u32 flags.
func (r SpawnRequest) Encode() []byte {
	var flags uint32
	if r.CodeDir {
		flags |= spawnCodeDir
	}
	if r.CgroupFD {
		flags |= spawnCgroupFD
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(r.UIDBase)) //nolint:gosec // a uid: non-negative, below 2^32
	return binary.BigEndian.AppendUint32(b, flags)
}

// ParseSpawnReply reads the spawner's answer: a big-endian i32 pid, or 0
// followed by why no init started.
func ParseSpawnReply(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, fmt.Errorf("spawn reply of %d bytes", len(b))
	}
	if pid := int(int32(binary.BigEndian.Uint32(b))); pid > 0 { //nolint:gosec // the spawner's i32
		return pid, nil
	}
	if len(b) == 4 {
		return 0, errors.New("the spawner started no init and did not say why")
	}
	return 0, errors.New(string(b[4:]))
}
