//go:build linux

package gvisor

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	goruntime "runtime"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// unplugLoopback removes every address from the loopback device of the
// calling thread's network namespace, which also drops its routes:
// afterwards any connect or send fails with ENETUNREACH, as on a Linux
// network namespace whose lo is down. Netstack's devices are always up
// (it ignores IFF_UP changes), so removing addresses is the only way to
// make a loopback unusable.
//
// The driver runs it on the host when it creates the sandboxes' network
// namespace (see createEmptyNetns), and the init runs it again inside the
// sandbox, where it normally finds nothing to remove; it needs
// CAP_NET_ADMIN, which the init holds until it drops its privileges.
func unplugLoopback() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("list network interfaces: %w", err)
	}
	i := slices.IndexFunc(ifaces, func(ifc net.Interface) bool { return ifc.Name == "lo" })
	if i < 0 {
		return nil // no loopback at all: nothing to unplug
	}
	lo := ifaces[i]
	addrs, err := lo.Addrs()
	if err != nil {
		return fmt.Errorf("list loopback addresses: %w", err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if err := deleteAddress(lo.Index, ipn); err != nil {
			return fmt.Errorf("remove %s from lo: %w", ipn, err)
		}
	}
	left, err := lo.Addrs()
	if err != nil {
		return fmt.Errorf("list loopback addresses after removal: %w", err)
	}
	if len(left) != 0 {
		return fmt.Errorf("loopback still has addresses %v after removal", left)
	}
	return nil
}

// deleteAddress sends RTM_DELADDR for ipn on interface index and waits for
// the kernel's (here: netstack's) acknowledgement.
func deleteAddress(index int, ipn *net.IPNet) error {
	family, ip := byte(unix.AF_INET6), ipn.IP.To16()
	if v4 := ipn.IP.To4(); v4 != nil {
		family, ip = unix.AF_INET, v4
	}
	ones, _ := ipn.Mask.Size()
	// struct ifaddrmsg, then IFA_LOCAL and IFA_ADDRESS attributes.
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0], body[1] = family, byte(ones)                  //nolint:gosec // a prefix length fits a byte
	binary.NativeEndian.PutUint32(body[4:], uint32(index)) //nolint:gosec // interface indexes are small
	for _, typ := range []uint16{unix.IFA_LOCAL, unix.IFA_ADDRESS} {
		body = appendAttr(body, typ, ip)
	}
	return netlinkRequest(unix.RTM_DELADDR, body)
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(l)) //nolint:gosec // attributes are tiny
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%unix.NLMSG_ALIGNTO != 0 {
		b = append(b, 0)
	}
	return b
}

// netlinkRequest sends one NETLINK_ROUTE request and returns the error its
// acknowledgement carries.
func netlinkRequest(typ uint16, body []byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("open netlink socket: %w", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind netlink socket: %w", err)
	}
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.NLMSG_HDRLEN+len(body))) //nolint:gosec // small
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:], 1) // sequence number
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, sa); err != nil {
		return fmt.Errorf("send netlink request: %w", err)
	}
	buf := make([]byte, 8192)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return fmt.Errorf("read netlink reply: %w", err)
	}
	replies, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return fmt.Errorf("parse netlink reply: %w", err)
	}
	for _, r := range replies {
		if r.Header.Type == unix.NLMSG_ERROR && len(r.Data) >= 4 {
			if errno := int32(binary.NativeEndian.Uint32(r.Data)); errno != 0 { //nolint:gosec // the kernel's negative errno
				return syscall.Errno(-errno) //nolint:gosec // errno is negative: -errno is a small positive number
			}
		}
	}
	return nil
}

// createEmptyNetns creates a network namespace whose only device is lo, up
// but without addresses or routes, and bind-mounts it at path. Every sandbox
// of the driver runs in it with runsc --network=sandbox, which mirrors the
// namespace's devices into gVisor's netstack: the sandbox sees an "lo" on
// which every connect or send fails with ENETUNREACH, both after a boot and
// after a restore (runsc re-applies the mirrored configuration when it
// restores a snapshot, so removing addresses from inside would not last).
func createEmptyNetns(path string) error {
	for unix.Unmount(path, unix.MNT_DETACH) == nil { // a stale one from a previous run
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return fmt.Errorf("create netns file: %w", err)
	}
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread changes namespace and is discarded
		// when this goroutine ends.
		goruntime.LockOSThread()
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("unshare network namespace: %w", err)
			}
			if err := setLinkUp("lo"); err != nil {
				return err
			}
			if err := unplugLoopback(); err != nil {
				return err
			}
			self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
			if err := unix.Mount(self, path, "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind-mount network namespace: %w", err)
			}
			return nil
		}()
	}()
	return <-errc
}

// setLinkUp sets IFF_UP on the named device of the calling thread's
// network namespace (on Linux, lo then gets 127.0.0.1 and ::1).
func setLinkUp(name string) error {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return fmt.Errorf("find %s: %w", name, err)
	}
	// struct ifinfomsg: family, pad, type, index, flags, change.
	body := make([]byte, unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(body[4:], uint32(ifc.Index)) //nolint:gosec // interface indexes are small
	binary.NativeEndian.PutUint32(body[8:], unix.IFF_UP)
	binary.NativeEndian.PutUint32(body[12:], unix.IFF_UP)
	if err := netlinkRequest(unix.RTM_NEWLINK, body); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	return nil
}
