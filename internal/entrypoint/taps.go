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

// Open vSwitch's userspace datapath (netdev: a host without the openvswitch
// kernel module) loses guests' traffic in two ways the kernel datapath
// does not, and ovn-controller's container, which owns the chassis's
// bridges, repairs both:
//
//   - It opens a guest's tap device when libvirt adds it to the integration
//     bridge and may then rewrite the device's flags from a copy read before
//     libvirt brought it up: now and then a guest boots with its tap down,
//     and every packet to it fails with "Network is down". No tap nova plugs
//     is meant to stay down: one down for two polls in a row is brought up.
//   - Nova's rescue and unrescue destroy the guest and start it again
//     without unplugging its port: libvirt makes a new tap of the same name,
//     and the datapath keeps reading the vanished one. A tap that comes back
//     with a new interface index while its bridge port is still the same
//     row is removed from the bridge and added again (two transactions: in
//     one, Open vSwitch sees no change), with its external IDs, so the
//     datapath opens the new device. A hard reboot re-plugs the port (a new
//     row) and needs nothing.

// tapPoll is how often the tap devices are checked.
const tapPoll = time.Second

// tapForget is how long a vanished tap is remembered: a rescue starts the
// new guest within seconds, a slow one within minutes.
const tapForget = 10 * time.Minute

// maxRowLookups bounds the lookups for a tap on no bridge: libvirt adds a
// guest's within a second; someone else's tap is left alone.
const maxRowLookups = 30

// bridgePorts is the part of Open vSwitch the guard needs.
type bridgePorts interface {
	// InterfaceID is the bridge interface row of a device ("" when the
	// device is on no bridge).
	InterfaceID(ctx context.Context, name string) (string, error)
	// Replug removes the device's port and adds it again with the same
	// settings.
	Replug(ctx context.Context, name string) error
}

type tapState struct {
	ifindex  int
	row      string // the bridge interface row when last seen
	down     int    // consecutive polls seen down
	lookups  int    // row lookups while it was on no bridge
	lastSeen time.Time
}

// tapGuard finds guest tap devices under sysNet (/sys/class/net) left down
// or orphaned by the datapath and repairs them.
type tapGuard struct {
	sysNet string
	up     func(name string) error
	ovs    bridgePorts
	logf   func(format string, a ...any)
	now    func() time.Time
	taps   map[string]*tapState
}

func newTapGuard(sysNet string, ovs bridgePorts, logf func(string, ...any)) *tapGuard {
	return &tapGuard{sysNet: sysNet, up: linkUp, ovs: ovs, logf: logf, now: time.Now, taps: map[string]*tapState{}}
}

// check runs one poll.
func (g *tapGuard) check(ctx context.Context) {
	entries, err := os.ReadDir(g.sysNet)
	if err != nil {
		return
	}
	now := g.now()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "tap") {
			continue
		}
		dir := filepath.Join(g.sysNet, name)
		if _, err := os.Stat(filepath.Join(dir, "tun_flags")); err != nil {
			continue // not a tun/tap device (a veth, say)
		}
		flags, err1 := readSysUint(filepath.Join(dir, "flags"))
		ifindex, err2 := readSysUint(filepath.Join(dir, "ifindex"))
		if err1 != nil || err2 != nil {
			continue
		}
		st := g.taps[name]
		if st == nil {
			st = &tapState{ifindex: int(ifindex)}
			g.taps[name] = st
		}
		st.lastSeen = now
		g.followRecreation(ctx, name, st, int(ifindex))
		if flags&unix.IFF_UP != 0 {
			st.down = 0
			continue
		}
		st.down++
		// The first poll may catch libvirt between creating the device
		// and bringing it up.
		if st.down < 2 {
			continue
		}
		if err := g.up(name); err != nil {
			g.logf("guest tap %s is down and could not be brought up: %v", name, err)
			continue
		}
		st.down = 0
		g.logf("brought up guest tap %s, left down by the userspace datapath's race with libvirt", name)
	}
	for name, st := range g.taps {
		if now.Sub(st.lastSeen) > tapForget {
			delete(g.taps, name)
		}
	}
}

// followRecreation re-plugs a tap that was made again under its name while
// its bridge port stayed the same row; it also learns the row.
func (g *tapGuard) followRecreation(ctx context.Context, name string, st *tapState, ifindex int) {
	if ifindex == st.ifindex {
		if st.row == "" && st.lookups < maxRowLookups {
			// Added to the bridge after it was created: learn the row.
			st.lookups++
			st.row, _ = g.ovs.InterfaceID(ctx, name)
		}
		return
	}
	st.ifindex = ifindex
	row, err := g.ovs.InterfaceID(ctx, name)
	if err != nil {
		return
	}
	if row == "" || row != st.row {
		st.row = row // re-plugged by nova (a new row), or not on a bridge
		return
	}
	if err := g.ovs.Replug(ctx, name); err != nil {
		g.logf("guest tap %s was made again (rescue or unrescue) but could not be re-plugged: %v", name, err)
		return
	}
	st.row, _ = g.ovs.InterfaceID(ctx, name)
	g.logf("re-plugged guest tap %s: it was made again under the same name (rescue or unrescue), and the userspace datapath kept reading the old device", name)
}

func readSysUint(path string) (uint64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(raw)), 0, 64)
}

// keepTapsUp polls until ctx ends.
func keepTapsUp(ctx context.Context, ovs bridgePorts, logf func(string, ...any)) {
	g := newTapGuard("/sys/class/net", ovs, logf)
	t := time.NewTicker(tapPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.check(ctx)
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

// vsctlPorts is bridgePorts through ovs-vsctl (the ovn image's).
type vsctlPorts struct{ sup *Supervisor }

func (v vsctlPorts) vsctl(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := v.sup.Output(ctx, Proc{Argv: append([]string{"ovs-vsctl", "--timeout=10"}, args...)})
	return strings.TrimSpace(out), err
}

func (v vsctlPorts) InterfaceID(ctx context.Context, name string) (string, error) {
	out, err := v.vsctl(ctx, "--bare", "--columns=_uuid", "find", "Interface", "name="+name)
	return strings.TrimSpace(out), err
}

func (v vsctlPorts) Replug(ctx context.Context, name string) error {
	bridge, err := v.vsctl(ctx, "port-to-br", name)
	if err != nil {
		return err
	}
	ids, err := v.vsctl(ctx, "get", "Interface", name, "external_ids")
	if err != nil {
		return err
	}
	mtu, err := v.vsctl(ctx, "get", "Interface", name, "mtu_request")
	if err != nil {
		return err
	}
	if _, err := v.vsctl(ctx, "del-port", bridge, name); err != nil {
		return err
	}
	add := []string{"add-port", bridge, name, "--", "set", "Interface", name, "external_ids=" + ids}
	if mtu != "" && mtu != "[]" {
		add = append(add, "mtu_request="+mtu)
	}
	_, err = v.vsctl(ctx, add...)
	return err
}
