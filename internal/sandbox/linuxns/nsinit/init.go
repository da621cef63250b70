//go:build linux

package nsinit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/voltrun/voltrun/internal/runtime/bootstrap"
)

// Identities inside the sandbox (mapped to Options.UIDBase + id on the
// host), as the init uses them.
const (
	sandboxUID = 1000 // runs the interpreter and the user's code
	sandboxGID = 1000
)

// Config is what the host sends the init on its fd 5, encoded by Encode.
type Config struct {
	Runtime   string
	MemoryMB  int
	TmpSizeMB int
	Hostname  string
	CodeDir   bool // fd 6 is the code directory
	// CgroupTasks are v1 "tasks" files the init writes "0" to, moving
	// itself (and so the runtime) into the instance's groups.
	CgroupTasks []string
	// Seccomp is the filter to install (seccompfilter.Program).
	Seccomp []byte
	// PythonCode is the compiled Python bootstrap (runtime.CompilePython)
	// for a Python sandbox; without it the runtime compiles the source.
	PythonCode []byte
	// Host is what the root takes from the host's (ReadHostRoot).
	Host HostRoot
}

// HostRoot is what a sandbox's root takes from the host's besides /usr:
// /bin, /lib, /lib64 and /sbin, as the same links into usr/ on merged-/usr
// hosts (Debian 12), as read-only binds otherwise. It does not change while
// the server runs, so a driver reads it once.
type HostRoot struct {
	dirs, binds, links []string // as in the encoded Config
}

// ReadHostRoot reads the host's top directories.
func ReadHostRoot() (HostRoot, error) {
	var h HostRoot
	for _, d := range []string{"bin", "lib", "lib64", "sbin"} {
		host := "/" + d
		fi, err := os.Lstat(host)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return h, fmt.Errorf("inspect %s: %w", host, err)
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(host)
			if err != nil {
				return h, fmt.Errorf("read link %s: %w", host, err)
			}
			h.links = append(h.links, target, d)
		default:
			h.dirs = append(h.dirs, d)
			h.binds = append(h.binds, host, d)
		}
	}
	return h, nil
}

// configVersion is the first field of an encoded Config; the init refuses
// any other.
const configVersion = 1

// file is one file the init writes into the new root.
type file struct {
	path string // relative to the root
	mode uint32
	body string
}

// Encode lays out the sandbox's root as the init builds it (see
// cmd/voltrun-nsinit), with what depends on the host and the instance
// decided here: the directories to create, the read-only binds (/usr, and
// c.Host's), the links, the files (the bootstraps and a synthesized /etc; nothing of the
// host's /etc is exposed) and the runtime's command. The encoding is a
// sequence of big-endian u32s and u32-length-prefixed byte strings in the
// order the init reads them.
func (c Config) Encode() ([]byte, error) {
	cmd, err := bootstrap.CommandFor(c.Runtime, c.MemoryMB, bootstrap.Dir)
	if err != nil {
		return nil, err
	}
	// Concat, not append: c.Host's slices are shared by every Encode.
	dirs := slices.Concat([]string{"usr", "var", "var/task", "dev", "tmp", "proc", "etc", "opt", bootstrap.Dir[1:]}, c.Host.dirs)
	binds := slices.Concat([]string{"/usr", "usr"}, c.Host.binds)
	links := slices.Concat(c.Host.links, []string{"/usr/share/zoneinfo/Etc/UTC", "etc/localtime"})
	var files []file
	for _, b := range bootstrap.Files() {
		files = append(files, file{bootstrap.Dir[1:] + "/" + b.Name, 0o444, b.Body})
	}
	if len(c.PythonCode) > 0 {
		files = append(files, file{bootstrap.Dir[1:] + "/" + bootstrap.PythonCode, 0o444, string(c.PythonCode)})
	}
	uid, gid := strconv.Itoa(sandboxUID), strconv.Itoa(sandboxGID)
	for _, f := range [][2]string{
		{"passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
			"sbx:x:" + uid + ":" + gid + ":sandbox:/tmp:/usr/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"},
		{"group", "root:x:0:\nsbx:x:" + gid + ":\nnogroup:x:65534:\n"},
		{"hosts", "127.0.0.1\tlocalhost " + c.Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
		{"hostname", c.Hostname + "\n"},
		{"nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"},
	} {
		files = append(files, file{"etc/" + f[0], 0o644, f[1]})
	}

	var e encoder
	e.u32(configVersion)
	e.strs(c.CgroupTasks)
	e.str(c.Hostname)
	e.str(fmt.Sprintf("size=%dm,nr_inodes=%d,mode=1777", c.TmpSizeMB, max(1024, c.TmpSizeMB*256)))
	e.bool(c.CodeDir)
	e.strs(dirs)
	e.strs(binds)
	e.strs(links)
	e.u32(len(files))
	for _, f := range files {
		e.str(f.path)
		e.u32(int(f.mode))
		e.str(f.body)
	}
	e.str(string(c.Seccomp))
	e.str(cmd.Path)
	e.strs(cmd.Args)
	e.strs(cmd.Env)
	return e.b, nil
}

type encoder struct{ b []byte }

func (e *encoder) u32(v int) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) } //nolint:gosec // lengths and modes, all small

func (e *encoder) bool(v bool) {
	if v {
		e.u32(1)
	} else {
		e.u32(0)
	}
}

func (e *encoder) str(s string) {
	e.u32(len(s))
	e.b = append(e.b, s...)
}

func (e *encoder) strs(v []string) {
	e.u32(len(v))
	for _, s := range v {
		e.str(s)
	}
}
