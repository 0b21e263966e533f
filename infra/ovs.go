package infra

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/go-openvswitch/ovs"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Bridges the stack uses.
const (
	IntegrationBridge = "hot-int"
	ExternalBridge    = "hot-ex"
)

// ovsTimeout bounds every ovs-vsctl call, so a stopped ovsdb-server gives a
// clear error instead of a hang.
const ovsTimeout = 5

// vswitch wraps go-openvswitch with our exec seam, so every call takes the
// context and runs through the same Runner as all other commands.
type vswitch struct {
	ctx    context.Context
	runner execx.Runner
	client *ovs.Client
}

func newVSwitch(ctx context.Context, r execx.Runner) *vswitch {
	v := &vswitch{ctx: ctx, runner: r}
	v.client = ovs.New(ovs.Timeout(ovsTimeout), ovs.Exec(v.exec))
	return v
}

func (v *vswitch) exec(cmd string, args ...string) ([]byte, error) {
	res, err := v.runner.Run(v.ctx, execx.Command{Name: cmd, Args: args})
	if err != nil {
		return append(res.Stdout, res.Stderr...), err
	}
	return res.Stdout, nil
}

// vsctl runs an ovs-vsctl command the library does not model.
func (v *vswitch) vsctl(args ...string) (string, error) {
	out, err := v.exec("ovs-vsctl", append([]string{"--timeout=" + strconv.Itoa(ovsTimeout)}, args...)...)
	return strings.TrimSpace(string(out)), err
}

// Ping checks that ovsdb-server answers.
func (v *vswitch) Ping() error {
	start := time.Now()
	if _, err := v.client.VSwitch.ListBridges(); err != nil {
		return fmt.Errorf("Open vSwitch does not answer (after %s): start it with `systemctl start openvswitch-switch` "+
			"(Debian/Ubuntu) or `systemctl start openvswitch` (Fedora/RHEL): %w", time.Since(start).Round(time.Millisecond), err)
	}
	return nil
}

// EnsureBridge creates bridge with the datapath type and MTU wanted, and
// corrects either when it differs. It mutates nothing when all is right.
func (v *vswitch) EnsureBridge(bridge, datapath string, mtu int) (bool, error) {
	bridges, err := v.client.VSwitch.ListBridges()
	if err != nil {
		return false, fmt.Errorf("list bridges: %w", err)
	}
	changed := false
	if !contains(bridges, bridge) {
		// add-br and datapath_type in one transaction: created with the
		// default datapath first, a bridge fails on hosts without the
		// kernel module. go-openvswitch's AddBridge cannot set it.
		if _, err := v.vsctl("--may-exist", "add-br", bridge, "--", "set", "bridge", bridge, "datapath_type="+datapath); err != nil {
			return false, fmt.Errorf("create bridge %s: %w", bridge, err)
		}
		changed = true
	} else {
		cur, err := v.vsctl("get", "bridge", bridge, "datapath_type")
		if err != nil {
			return false, fmt.Errorf("read datapath of %s: %w", bridge, err)
		}
		if unquote(cur) != datapath && !(unquote(cur) == "" && datapath == "system") {
			if _, err := v.vsctl("set", "bridge", bridge, "datapath_type="+datapath); err != nil {
				return false, fmt.Errorf("set datapath of %s: %w", bridge, err)
			}
			changed = true
		}
	}
	cur, err := v.vsctl("get", "interface", bridge, "mtu_request")
	if err != nil {
		return changed, fmt.Errorf("read mtu_request of %s: %w", bridge, err)
	}
	if cur != strconv.Itoa(mtu) {
		if err := v.client.VSwitch.Set.Interface(bridge, ovs.InterfaceOptions{MTURequest: mtu}); err != nil {
			return changed, fmt.Errorf("set mtu_request of %s: %w", bridge, err)
		}
		changed = true
	}
	return changed, nil
}

// DeleteBridge removes bridge if it exists.
func (v *vswitch) DeleteBridge(bridge string) (bool, error) {
	bridges, err := v.client.VSwitch.ListBridges()
	if err != nil {
		return false, fmt.Errorf("list bridges: %w", err)
	}
	if !contains(bridges, bridge) {
		return false, nil
	}
	if err := v.client.VSwitch.DeleteBridge(bridge); err != nil {
		return false, fmt.Errorf("delete bridge %s: %w", bridge, err)
	}
	return true, nil
}

func unquote(s string) string { return strings.Trim(s, `"`) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
