//go:build linux

package loopback

import (
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// Unplug removes every address from the loopback device of the calling
// thread's network namespace, which also drops its routes: afterwards any
// connect or send fails with ENETUNREACH, as on a Linux network namespace
// whose lo is down. Netstack's devices are always up (it ignores IFF_UP
// changes), so removing addresses is the only way to make a loopback
// unusable.
//
// The driver runs it on the host when it creates the sandboxes' network
// namespace, and the init runs it again inside the sandbox, where it
// normally finds nothing to remove; it needs CAP_NET_ADMIN, which the init
// holds until it drops its privileges.
func Unplug() error {
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

// Up sets IFF_UP on the loopback device of the calling thread's network
// namespace (on Linux, it then gets 127.0.0.1 and ::1).
func Up() error {
	const name = "lo"
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
