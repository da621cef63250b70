//go:build linux

package nsinit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// SpawnerArg0 is the spawner's argv[0]; it also needs EnvKey=EnvVal. The
// spawner reads SpawnRequests on its fd 3, a SOCK_SEQPACKET socket, and
// answers each with a SpawnReply; its fd 4 is the init's executable
// (cmd/voltrun-nsinit, in a sealed memory file).
const SpawnerArg0 = "voltrun-sandbox-spawner"

// initFd is where the spawner keeps the init's executable: close-on-exec,
// and above the few descriptors an init is given, so that setting those up
// in a child never overwrites it before the exec.
const initFd = 100

// idMapSize is the number of uids/gids mapped into each sandbox.
const idMapSize = 65536

// SpawnRequest asks the spawner for one sandbox init. It travels as JSON
// with the init's descriptors attached (SCM_RIGHTS) in this order: its
// stdout, stderr, fds 3, 4 and 5, then fd 6 when CodeDir, then, when
// CgroupFD, the cgroup (v2) to start it in.
type SpawnRequest struct {
	UIDBase  int  `json:"uid_base"`
	CodeDir  bool `json:"code_dir"`
	CgroupFD bool `json:"cgroup_fd"`
}

// SpawnReply answers a SpawnRequest: the init's pid on the host, or why
// it did not start.
type SpawnReply struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// MaxSpawnFDs is the most descriptors a SpawnRequest carries.
const MaxSpawnFDs = 7

// runSpawner serves SpawnRequests until the host closes the socket.
//
// Go forks rather than vforks a child that gets a new user namespace (the
// parent writes its uid map while it waits), so starting a sandbox from
// the server costs time in proportion to the server's memory: ~3 ms at
// 48 MB, ~25 ms at 1 GB. This process is a few MB. It clones each init
// with CLONE_PARENT, so the init is the server's child: the server waits
// for it and reads its exit status as if it had started it, and the init's
// parent-death signal follows the server's spawning thread, not this
// process.
func runSpawner() int {
	unix.CloseOnExec(3) // the socket is for this process only, never an init
	if err := unix.Dup3(4, initFd, unix.O_CLOEXEC); err != nil {
		fmt.Fprintf(os.Stderr, "voltrun sandbox spawner: keep the init: %v\n", err)
		return 1
	}
	_ = unix.Close(4)
	devNull, err := os.Open("/dev/null")
	if err != nil {
		fmt.Fprintf(os.Stderr, "voltrun sandbox spawner: %v\n", err)
		return 1
	}
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(MaxSpawnFDs*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(3, buf, oob, unix.MSG_CMSG_CLOEXEC)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			fmt.Fprintf(os.Stderr, "voltrun sandbox spawner: %v\n", err)
			return 1
		case n == 0:
			return 0 // the host closed its end
		}
		files, err := receivedFiles(oob[:oobn])
		var reply SpawnReply
		if err == nil {
			reply.Pid, err = spawnInit(buf[:n], files, devNull)
		}
		for _, f := range files {
			_ = f.Close()
		}
		if err != nil {
			reply.Error = err.Error()
		}
		b, _ := json.Marshal(reply)
		if _, err := unix.Write(3, b); err != nil {
			return 1
		}
	}
}

func receivedFiles(oob []byte) ([]*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse descriptors: %w", err)
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "received"))
		}
	}
	return files, nil
}

// spawnInit starts the init in new user, pid, mount, network, IPC and UTS
// namespaces, as root of the new user namespace (mapped to UIDBase on the
// host), with nothing of this process's environment.
func spawnInit(msg []byte, files []*os.File, devNull *os.File) (int, error) {
	var req SpawnRequest
	if err := json.Unmarshal(msg, &req); err != nil {
		return 0, fmt.Errorf("decode spawn request: %w", err)
	}
	want := 5
	if req.CodeDir {
		want++
	}
	if req.CgroupFD {
		want++
	}
	if len(files) != want {
		return 0, fmt.Errorf("spawn request has %d descriptors, want %d", len(files), want)
	}
	idMap := []syscall.SysProcIDMap{{ContainerID: 0, HostID: req.UIDBase, Size: idMapSize}}
	attr := &syscall.SysProcAttr{
		Cloneflags: unix.CLONE_PARENT | syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID | syscall.CLONE_NEWNS |
			syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		UidMappings: idMap,
		GidMappings: idMap,
		// Allowing setgroups lets the child drop the host root's
		// supplementary groups (below), which would otherwise follow
		// it into the sandbox as an unmapped but effective gid 0.
		GidMappingsEnableSetgroups: true,
		Credential:                 &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}},
		Pdeathsig:                  syscall.SIGKILL,
	}
	fds := append([]*os.File{devNull}, files[:5]...)
	if req.CodeDir {
		fds = append(fds, files[5])
	}
	if req.CgroupFD {
		attr.UseCgroupFD, attr.CgroupFD = true, int(files[len(files)-1].Fd())
	}
	p, err := os.StartProcess("/proc/self/fd/"+strconv.Itoa(initFd), []string{Arg0}, &os.ProcAttr{
		Dir:   "/",
		Env:   []string{},
		Files: fds,
		Sys:   attr,
	})
	if err != nil {
		// A child that failed after the clone (its set-up or its exec)
		// is the server's, so StartProcess cannot reap it and it stays
		// a zombie of the server until the server exits. The same set-up
		// and binary start every init, so this does not happen one
		// sandbox in many: a host that refuses one refuses them all.
		return 0, fmt.Errorf("start sandbox init: %w", err)
	}
	pid := p.Pid
	_ = p.Release() // the server's child, not ours to wait for
	return pid, nil
}
