package host

import (
	"slices"
	"strconv"
	"strings"

	"github.com/hotstack-os/hotstack-os/stack"
)

// PublishedPorts are the host ports the stack publishes (haproxy's API
// ports on BREX_IP), sorted: the only ports of the services that anyone
// beyond the host, the guests and the containers reaches.
func PublishedPorts() []int {
	var out []int
	for _, svc := range stack.Services() {
		for _, p := range svc.Container.Ports {
			// HOST_IP:HOST_PORT:CONTAINER_PORT
			f := strings.Split(p, ":")
			if len(f) < 2 {
				continue
			}
			if n, err := strconv.Atoi(f[len(f)-2]); err == nil {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// serviceUIDs are the ids of the images' service accounts: the daemons of
// the host-network containers run as some of them and connect to the
// services from the host's network stack.
func serviceUIDs() []int {
	var out []int
	for _, u := range stack.ImageUsers() {
		out = append(out, u.ID)
	}
	slices.Sort(out)
	return out
}
