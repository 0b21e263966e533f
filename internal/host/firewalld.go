package host

import (
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// Where firewalld runs, its own nftables tables drop forwarded traffic
// that no zone allows, whatever table ip hotstack-os says: the guests'
// traffic to the outside would stop at the host. Setup puts hot-ex and the
// provider network in firewalld's trusted zone, in the runtime
// configuration only: setup runs at every boot, and nothing stays behind
// in firewalld's permanent configuration after cleanup.

// FirewalldZone is the zone setup adds hot-ex and the provider network to.
const FirewalldZone = "trusted"

// firewalldState is what firewalld says: whether it runs, and whether the
// zone already holds the interface and the source.
type firewalldState struct {
	running           bool
	hasIface, hasNets bool
}

func readFirewalld(ctx context.Context, r execx.Runner, provider netip.Prefix) (firewalldState, error) {
	res, err := r.Run(ctx, execx.Command{Name: "firewall-cmd", Args: []string{"--state"}})
	if errors.Is(err, exec.ErrNotFound) || (err != nil && strings.Contains(string(res.Stdout)+string(res.Stderr), "not running")) {
		return firewalldState{}, nil // no firewalld: nothing to open
	}
	if err != nil {
		return firewalldState{}, err
	}
	st := firewalldState{running: true}
	// --query-* exits 0 for yes and 1 for no.
	query := func(arg string) bool {
		_, err := r.Run(ctx, execx.Command{Name: "firewall-cmd", Args: []string{"--zone=" + FirewalldZone, arg}})
		return err == nil
	}
	st.hasIface = query("--query-interface=" + ExternalBridge)
	st.hasNets = query("--query-source=" + provider.Masked().String())
	return st, nil
}

func (h *Host) firewalldStep(provider netip.Prefix) step.Step {
	target := "firewalld zone " + FirewalldZone
	return observe(target,
		func(ctx context.Context) (firewalldState, error) { return readFirewalld(ctx, h.Runner, provider) },
		func(s firewalldState) *step.Change {
			if !s.running || (s.hasIface && s.hasNets) {
				return nil
			}
			return hostChange("update", target, "add interface "+ExternalBridge+" and source "+provider.Masked().String()+" (runtime)")
		},
		func(ctx context.Context, s firewalldState) error {
			return h.firewalld(ctx, s, provider, "--add")
		})
}

func (h *Host) firewalldRemovalStep(provider netip.Prefix) step.Step {
	target := "firewalld zone " + FirewalldZone
	return observe(target,
		func(ctx context.Context) (firewalldState, error) { return readFirewalld(ctx, h.Runner, provider) },
		func(s firewalldState) *step.Change {
			if !s.running || (!s.hasIface && !s.hasNets) {
				return nil
			}
			return hostChange("update", target, "remove interface "+ExternalBridge+" and source "+provider.Masked().String())
		},
		func(ctx context.Context, s firewalldState) error {
			// What is there goes: --remove of an absent entry is an error.
			s.hasIface, s.hasNets = !s.hasIface, !s.hasNets
			return h.firewalld(ctx, s, provider, "--remove")
		})
}

// firewalld adds (or removes) what s lacks (has) in the zone.
func (h *Host) firewalld(ctx context.Context, s firewalldState, provider netip.Prefix, verb string) error {
	var args []string
	if !s.hasIface {
		args = append(args, verb+"-interface="+ExternalBridge)
	}
	if !s.hasNets {
		args = append(args, verb+"-source="+provider.Masked().String())
	}
	for _, a := range args {
		if _, err := h.Runner.Run(ctx, execx.Command{Name: "firewall-cmd", Args: []string{"--zone=" + FirewalldZone, a}}); err != nil {
			return err
		}
	}
	return nil
}
