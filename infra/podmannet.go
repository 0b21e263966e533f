package infra

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// NetworkName is the podman network the containers join.
const NetworkName = "hotstack-os"

// ensurePodmanNetwork creates the network with subnet when missing. An
// existing network with another subnet is an error: containers would get
// addresses the config does not expect.
func ensurePodmanNetwork(ctx context.Context, r execx.Runner, subnet netip.Prefix) (bool, error) {
	subnets, exists, err := podmanNetworkSubnets(ctx, r)
	if err != nil {
		return false, err
	}
	if exists {
		for _, s := range subnets {
			if s == subnet.String() {
				return false, nil
			}
		}
		return false, fmt.Errorf("podman network %s exists with subnet %s, but CONTAINER_NETWORK is %s; "+
			"remove it (stop the stack, then `podman network rm %s`) or set CONTAINER_NETWORK=%s in .env",
			NetworkName, strings.Join(subnets, ", "), subnet, NetworkName, strings.Join(subnets, ","))
	}
	if _, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"network", "create", "--subnet", subnet.String(), NetworkName}}); err != nil {
		return false, fmt.Errorf("create podman network %s: %w", NetworkName, err)
	}
	return true, nil
}

func podmanNetworkSubnets(ctx context.Context, r execx.Runner) (subnets []string, exists bool, err error) {
	res, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"network", "inspect", NetworkName}})
	if err != nil {
		if msg := strings.ToLower(err.Error()); strings.Contains(msg, "not found") || strings.Contains(msg, "no such network") {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("inspect podman network %s: %w", NetworkName, err)
	}
	var nets []struct {
		Subnets []struct {
			Subnet string `json:"subnet"`
		} `json:"subnets"`
	}
	if err := json.Unmarshal(res.Stdout, &nets); err != nil {
		return nil, true, fmt.Errorf("parse podman network inspect: %w", err)
	}
	for _, n := range nets {
		for _, s := range n.Subnets {
			subnets = append(subnets, s.Subnet)
		}
	}
	return subnets, true, nil
}

// removePodmanNetwork deletes the network if it exists.
func removePodmanNetwork(ctx context.Context, r execx.Runner) (bool, error) {
	_, exists, err := podmanNetworkSubnets(ctx, r)
	if err != nil || !exists {
		return false, err
	}
	if _, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"network", "rm", NetworkName}}); err != nil {
		return false, fmt.Errorf("remove podman network %s: %w", NetworkName, err)
	}
	return true, nil
}
