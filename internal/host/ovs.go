package host

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/digitalocean/go-openvswitch/ovs"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/retry"
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
		//lint:ignore ST1005 "Open vSwitch" is a name, and the message is the one README.md quotes.
		return fmt.Errorf("Open vSwitch does not answer (after %s): start it with `systemctl start openvswitch-switch` "+
			"(Debian/Ubuntu) or `systemctl start openvswitch` (Fedora/RHEL): %w", time.Since(start).Round(time.Millisecond), err)
	}
	return nil
}

// ovsAnswers checks that Open vSwitch answers, waiting up to h.WaitOVS for
// it with backoff (250 ms, growing to 5 s between attempts): at boot it
// may be starting while setup runs.
func (h *Host) ovsAnswers(ctx context.Context) error {
	ping := func() error { return newVSwitch(ctx, h.Runner).Ping() }
	if h.WaitOVS <= 0 {
		return ping()
	}
	start := time.Now()
	attempts := 0
	err := retry.Do(ctx, retry.Growing(250*time.Millisecond, 5*time.Second, h.WaitOVS), func(context.Context) error {
		attempts++
		err := ping()
		if err != nil && attempts == 1 {
			h.Log.Info().Msgf("Open vSwitch does not answer yet; waiting up to %s for it", h.WaitOVS)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("waited %s (%d attempts): %w", time.Since(start).Round(100*time.Millisecond), attempts, err)
	}
	if attempts > 1 {
		h.Log.Info().Msgf("Open vSwitch answers after %s", time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// bridgeDiff is how a bridge differs from what setup wants.
type bridgeDiff struct {
	datapath                string // the one the bridge should have
	missing                 bool
	wrongDatapath, wrongMTU bool
	curDatapath, curMTU     string
}

// hasBridge reports whether bridge exists.
func (v *vswitch) hasBridge(bridge string) (bool, error) {
	bridges, err := v.client.VSwitch.ListBridges()
	if err != nil {
		return false, fmt.Errorf("list bridges: %w", err)
	}
	return slices.Contains(bridges, bridge), nil
}

// diffBridge reads bridge's datapath type and requested MTU. It only reads:
// no OVS transaction.
func (v *vswitch) diffBridge(bridge, datapath string, mtu int) (bridgeDiff, error) {
	exists, err := v.hasBridge(bridge)
	if err != nil || !exists {
		return bridgeDiff{datapath: datapath, missing: true}, err
	}
	d := bridgeDiff{datapath: datapath}
	cur, err := v.vsctl("get", "bridge", bridge, "datapath_type")
	if err != nil {
		return d, fmt.Errorf("read datapath of %s: %w", bridge, err)
	}
	// An empty datapath_type is OVS's default, the kernel ("system").
	d.curDatapath = strings.Trim(cur, `"`)
	d.wrongDatapath = d.curDatapath != datapath && (d.curDatapath != "" || datapath != "system")
	if d.curMTU, err = v.vsctl("get", "interface", bridge, "mtu_request"); err != nil {
		return d, fmt.Errorf("read mtu_request of %s: %w", bridge, err)
	}
	d.wrongMTU = d.curMTU != strconv.Itoa(mtu)
	return d, nil
}

// fixBridge creates bridge or corrects what d found wrong.
func (v *vswitch) fixBridge(bridge, datapath string, mtu int, d bridgeDiff) error {
	if d.missing {
		// add-br and datapath_type in one transaction: created with the
		// default datapath first, a bridge fails on hosts without the
		// kernel module. go-openvswitch's AddBridge cannot set it.
		if _, err := v.vsctl("--may-exist", "add-br", bridge, "--", "set", "bridge", bridge, "datapath_type="+datapath); err != nil {
			return fmt.Errorf("create bridge %s: %w", bridge, err)
		}
		// A new interface has no mtu_request yet.
		d.wrongMTU = true
	} else if d.wrongDatapath {
		if _, err := v.vsctl("set", "bridge", bridge, "datapath_type="+datapath); err != nil {
			return fmt.Errorf("set datapath of %s: %w", bridge, err)
		}
	}
	if d.wrongMTU {
		if err := v.client.VSwitch.Set.Interface(bridge, ovs.InterfaceOptions{MTURequest: mtu}); err != nil {
			return fmt.Errorf("set mtu_request of %s: %w", bridge, err)
		}
	}
	return nil
}

// deleteBridge removes bridge.
func (v *vswitch) deleteBridge(bridge string) error {
	if err := v.client.VSwitch.DeleteBridge(bridge); err != nil {
		return fmt.Errorf("delete bridge %s: %w", bridge, err)
	}
	return nil
}
