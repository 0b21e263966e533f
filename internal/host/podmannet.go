package host

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// NetworkName is the podman network the containers join.
const NetworkName = "hotstack-os"

// dynamicRange is where podman hands out addresses to containers without
// a fixed one (config.DynamicRange).
func dynamicRange(subnet netip.Prefix) netip.Prefix { return config.DynamicRange(subnet) }

// networkMissing reports whether the network must be created. An existing
// network with another subnet or range is an error that cannot be fixed in
// place: containers would get addresses the config does not expect, or
// collide with fixed ones.
func networkMissing(ctx context.Context, r execx.Runner, subnet netip.Prefix) (bool, error) {
	dynamic := dynamicRange(subnet)
	subnets, exists, err := podmanNetworkSubnets(ctx, r)
	if err != nil || !exists {
		return !exists, err
	}
	var seen []string
	for _, s := range subnets {
		seen = append(seen, s.Subnet)
		if s.Subnet != subnet.String() {
			continue
		}
		if inRange(dynamic, s.LeaseRange.StartIP) && inRange(dynamic, s.LeaseRange.EndIP) {
			return false, nil
		}
		return false, fmt.Errorf("podman network %s has subnet %s but hands out addresses from %s to %s, not only from %s, "+
			"so a container could take a service's fixed address; stop the stack, run `podman network rm %s`, then set up again",
			NetworkName, s.Subnet, s.LeaseRange.StartIP, s.LeaseRange.EndIP, dynamic, NetworkName)
	}
	return false, fmt.Errorf("podman network %s exists with subnet %s, but CONTAINER_NETWORK is %s; "+
		"remove it (stop the stack, then `podman network rm %s`) or set CONTAINER_NETWORK=%s in .env",
		NetworkName, strings.Join(seen, ", "), subnet, NetworkName, strings.Join(seen, ","))
}

// createNetwork creates the network, with dynamic addresses confined to the
// top quarter of subnet.
func createNetwork(ctx context.Context, r execx.Runner, subnet netip.Prefix) error {
	if _, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"network", "create", "--subnet", subnet.String(),
		"--ip-range", dynamicRange(subnet).String(), NetworkName}}); err != nil {
		return fmt.Errorf("create podman network %s: %w", NetworkName, err)
	}
	return nil
}

func inRange(p netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && p.Contains(a)
}

type podmanSubnet struct {
	Subnet     string `json:"subnet"`
	LeaseRange struct {
		StartIP string `json:"start_ip"`
		EndIP   string `json:"end_ip"`
	} `json:"lease_range"`
}

func podmanNetworkSubnets(ctx context.Context, r execx.Runner) (subnets []podmanSubnet, exists bool, err error) {
	res, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"network", "inspect", NetworkName}})
	if err != nil {
		if msg := strings.ToLower(err.Error()); strings.Contains(msg, "not found") || strings.Contains(msg, "no such network") {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("inspect podman network %s: %w", NetworkName, err)
	}
	var nets []struct {
		Subnets []podmanSubnet `json:"subnets"`
	}
	if err := json.Unmarshal(res.Stdout, &nets); err != nil {
		return nil, true, fmt.Errorf("parse podman network inspect: %w", err)
	}
	for _, n := range nets {
		subnets = append(subnets, n.Subnets...)
	}
	return subnets, true, nil
}

// removeNetwork deletes the network.
func removeNetwork(ctx context.Context, r execx.Runner) error {
	if _, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"network", "rm", NetworkName}}); err != nil {
		return fmt.Errorf("remove podman network %s: %w", NetworkName, err)
	}
	return nil
}
