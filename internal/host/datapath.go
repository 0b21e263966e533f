package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Datapath values of OVS_DATAPATH_TYPE.
const (
	DatapathAuto   = "auto"   // the kernel's when it has the module, else userspace
	DatapathSystem = "system" // the openvswitch kernel module
	DatapathNetdev = "netdev" // userspace, in ovs-vswitchd
)

// errNoKernelDatapath is why a system datapath cannot work here.
var errNoKernelDatapath = errors.New("the openvswitch kernel module is neither loaded nor installed for this kernel")

// kernelDatapath reports whether bridges can use the kernel datapath: its
// module is loaded, or installed where modprobe finds it (Open vSwitch's
// start loads it). It only reads.
func (h *Host) kernelDatapath(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(SysModuleDir, "openvswitch")); err == nil {
		return nil
	}
	if _, err := h.Runner.Run(ctx, execx.Command{Name: "modprobe", Args: []string{"--dry-run", "--quiet", "openvswitch"}}); err != nil {
		return errNoKernelDatapath
	}
	return nil
}

// SysModuleDir lists the kernel's loaded modules (a variable for tests).
var SysModuleDir = "/sys/module"

// resolveDatapath turns OVS_DATAPATH_TYPE into the datapath the bridges
// get. auto picks the kernel's when it is there and says when it falls
// back; system on a host without the module stops with the fix, rather
// than with OVS's "Cannot find device" three steps later.
func (h *Host) resolveDatapath(ctx context.Context, want string) (string, error) {
	if want == DatapathNetdev {
		return want, nil
	}
	err := h.kernelDatapath(ctx)
	switch {
	case err == nil:
		return DatapathSystem, nil
	case want == DatapathAuto:
		h.Log.Info().Msgf("Open vSwitch: %v; the bridges use the userspace datapath (netdev). OVS_DATAPATH_TYPE in .env chooses", err)
		return DatapathNetdev, nil
	}
	return "", fmt.Errorf("OVS_DATAPATH_TYPE=system: %w; set OVS_DATAPATH_TYPE=netdev (or auto) in .env for the userspace datapath", err)
}
