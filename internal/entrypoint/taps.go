package entrypoint

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Open vSwitch's userspace datapath (netdev, where the kernel has no
// openvswitch module) opens a guest's tap device when libvirt adds it to
// the integration bridge, and then rewrites the device's flags from a copy
// it read before libvirt brought the device up: now and then the guest
// boots with its tap down, and all its traffic is dropped ("error sending
// Ethernet packet on tapXXX: Network is down") until a hard reboot. No
// tap nova plugs is meant to stay down, so the compute container brings
// back up any that has been down for two polls in a row.

// tapPoll is how often the tap devices are checked.
const tapPoll = time.Second

// tapGuard finds guest tap devices left down under sysNet
// (/sys/class/net) and brings them up with up.
type tapGuard struct {
	sysNet string
	up     func(name string) error
	logf   func(format string, a ...any)
	// down counts the consecutive polls each device was seen down.
	down map[string]int
}

// check runs one poll.
func (g *tapGuard) check() {
	entries, err := os.ReadDir(g.sysNet)
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "tap") {
			continue
		}
		dir := filepath.Join(g.sysNet, name)
		if _, err := os.Stat(filepath.Join(dir, "tun_flags")); err != nil {
			continue // not a tun/tap device (a veth, say)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "flags"))
		if err != nil {
			continue
		}
		flags, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 0, 32)
		if err != nil || flags&unix.IFF_UP != 0 {
			continue
		}
		seen[name] = true
		g.down[name]++
		// The first poll may catch libvirt between creating the device
		// and bringing it up.
		if g.down[name] < 2 {
			continue
		}
		if err := g.up(name); err != nil {
			g.logf("guest tap %s is down and could not be brought up: %v", name, err)
			continue
		}
		g.logf("brought up guest tap %s, left down by the userspace datapath's race with libvirt", name)
	}
	for name := range g.down {
		if !seen[name] {
			delete(g.down, name)
		}
	}
}

// keepTapsUp polls until ctx ends.
func keepTapsUp(ctx context.Context, logf func(string, ...any)) {
	g := &tapGuard{sysNet: "/sys/class/net", up: linkUp, logf: logf, down: map[string]int{}}
	t := time.NewTicker(tapPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.check()
		}
	}
}

// linkUp sets IFF_UP on a network device.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
