package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/step"
)

// KVMDevice is the device nova-compute's guests use when the host has
// hardware virtualization.
const KVMDevice = "/dev/kvm"

// kvmDiff is how /dev/kvm differs from "usable by the kvm group".
type kvmDiff struct {
	absent   bool // no KVM here: guests run under emulation, nothing to do
	gid      int  // the kvm group's id
	curGID   int
	curMode  fs.FileMode
	needMode bool
	needGID  bool
}

// readKVM compares dev with what distributions' udev rules give it: group
// kvm, read-write for the group. libvirt runs qemu as a member of kvm
// (libvirt-qemu on Debian, qemu on Fedora), so without this a host whose
// /dev/kvm is root-only (0600, as on this machine) cannot start guests with
// KVM although libvirt reports it available.
func readKVM(dev string) (kvmDiff, error) {
	fi, err := os.Stat(dev)
	if errors.Is(err, fs.ErrNotExist) {
		return kvmDiff{absent: true}, nil
	}
	if err != nil {
		return kvmDiff{}, err
	}
	g, err := user.LookupGroup("kvm")
	if err != nil {
		// No kvm group: nothing runs qemu through it; leave the device.
		return kvmDiff{absent: true}, nil
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return kvmDiff{}, fmt.Errorf("group kvm has id %q", g.Gid)
	}
	d := kvmDiff{gid: gid, curMode: fi.Mode().Perm()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		d.curGID = int(st.Gid)
	}
	worldRW := d.curMode&0o006 == 0o006 // Fedora's 0666 needs nothing
	d.needGID = !worldRW && d.curGID != gid
	d.needMode = !worldRW && d.curMode&0o060 != 0o060
	return d, nil
}

func (d kvmDiff) change(dev string) *step.Change {
	if d.absent || (!d.needGID && !d.needMode) {
		return nil
	}
	return hostChange("update", dev, fmt.Sprintf("group %d -> kvm (%d), mode %04o -> %04o", d.curGID, d.gid, d.curMode, d.curMode|0o060))
}

func (d kvmDiff) fix(dev string) error {
	if d.needGID {
		if err := os.Chown(dev, -1, d.gid); err != nil {
			return fmt.Errorf("give %s to group kvm: %w", dev, err)
		}
	}
	if d.needMode {
		if err := os.Chmod(dev, d.curMode|0o060); err != nil {
			return fmt.Errorf("open %s to group kvm: %w", dev, err)
		}
	}
	return nil
}

// kvmStep opens dev to the kvm group, as udev does on a standard host.
func (h *Host) kvmStep(dev string) step.Step {
	return observe(dev+" for the kvm group",
		func(context.Context) (kvmDiff, error) { return readKVM(dev) },
		func(d kvmDiff) *step.Change { return d.change(dev) },
		func(_ context.Context, d kvmDiff) error { return d.fix(dev) })
}
