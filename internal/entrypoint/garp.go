package entrypoint

import (
	"encoding/binary"
	"net"
	"os"
	"syscall"
	"time"
)

// A container that starts again keeps its fixed address but gets a new
// interface with a new MAC address. Its clients' neighbour caches still map
// the address to the old MAC, so their next connection times out until the
// stale entry expires: after a MariaDB restart, the first request to each
// API failed with "Can't connect to MySQL server (timed out)" although
// status said healthy. A gratuitous ARP at start updates those caches at
// once (Linux updates an existing entry from one, whatever arp_accept).

// announceAddresses sends gratuitous ARPs for the container's IPv4
// addresses, now and twice more a second apart, in the background. It does
// nothing in the host's network namespace (containers on the host network:
// their addresses are the host's).
func announceAddresses(logf func(string, ...any)) {
	if _, err := os.Stat("/sys/class/net/hot-ex"); err == nil {
		return
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return
	}
	go func() {
		for round := 0; round < 3; round++ {
			if round > 0 {
				time.Sleep(time.Second)
			}
			for _, ifi := range ifaces {
				if ifi.Flags&net.FlagLoopback != 0 || len(ifi.HardwareAddr) != 6 {
					continue
				}
				addrs, _ := ifi.Addrs()
				for _, a := range addrs {
					ipn, ok := a.(*net.IPNet)
					if !ok || ipn.IP.To4() == nil {
						continue
					}
					if err := gratuitousARP(ifi, ipn.IP.To4()); err != nil && round == 0 {
						logf("gratuitous ARP for %s on %s: %v", ipn.IP, ifi.Name, err)
					}
				}
			}
		}
	}()
}

// gratuitousARP broadcasts an ARP request and an ARP reply that both say
// ip is at ifi's MAC address.
func gratuitousARP(ifi net.Interface, ip net.IP) error {
	fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW, int(htons(syscall.ETH_P_ARP)))
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	to := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ARP), Ifindex: ifi.Index, Halen: 6}
	copy(to.Addr[:], broadcastMAC)
	for _, op := range []uint16{1, 2} { // request, reply
		if err := syscall.Sendto(fd, arpFrame(ifi.HardwareAddr, ip, op), 0, to); err != nil {
			return err
		}
	}
	return nil
}

var broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// arpFrame is an Ethernet broadcast frame holding an ARP message of
// operation op in which mac announces ip (sender and target address both
// ip: a gratuitous ARP).
func arpFrame(mac net.HardwareAddr, ip net.IP, op uint16) []byte {
	f := make([]byte, 0, 42)
	f = append(f, broadcastMAC...)
	f = append(f, mac...)
	f = binary.BigEndian.AppendUint16(f, syscall.ETH_P_ARP)
	f = binary.BigEndian.AppendUint16(f, 1)      // hardware: Ethernet
	f = binary.BigEndian.AppendUint16(f, 0x0800) // protocol: IPv4
	f = append(f, 6, 4)
	f = binary.BigEndian.AppendUint16(f, op)
	f = append(f, mac...)
	f = append(f, ip.To4()...)
	if op == 1 {
		f = append(f, make([]byte, 6)...) // target MAC unknown in a request
	} else {
		f = append(f, broadcastMAC...)
	}
	return append(f, ip.To4()...)
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
