package host

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
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

// Backends are the infrastructure services of the container network and
// the containers that use each, read from the stack: a database client
// carries its database password, a message bus client RabbitMQ's, a
// token cache user the cache's key (and Keystone, whose own cache is
// there too); neutron-server alone talks to OVN's databases (ovn-northd
// reaches them over its sockets, ovn-controller and the metadata agent
// from the host). Nothing in a container calls nova's metadata API: the
// metadata agent reaches it from the host. Nor does anything use
// RabbitMQ's Erlang ports across the network.
func Backends(cfg *config.Config) []Backend {
	var db, bus, cache, ovn []netip.Addr
	for _, svc := range stack.Services() {
		c := svc.Container
		if c.IPKey == "" || svc.Name == "mariadb" {
			continue // on the host's network, or the server itself
		}
		addr := netip.MustParseAddr(cfg.Get(c.IPKey))
		has := func(match func(string) bool) bool {
			return slices.ContainsFunc(c.Env, func(e stack.EnvVar) bool { return match(e.Name) })
		}
		if has(func(n string) bool { return strings.HasSuffix(n, "_DB_PASSWORD") }) {
			db = append(db, addr)
		}
		if has(func(n string) bool { return n == "RABBITMQ_PASS" }) {
			bus = append(bus, addr)
		}
		if svc.Name == "keystone" || has(func(n string) bool { return n == "MEMCACHE_SECRET_KEY" }) {
			cache = append(cache, addr)
		}
		if svc.Name == "neutron-server" {
			ovn = append(ovn, addr)
		}
	}
	at := func(key string, port uint16) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr(cfg.Get(key)), port)
	}
	return []Backend{
		{Name: "MariaDB", Addr: at("MARIADB_IP", 3306), Clients: db},
		{Name: "RabbitMQ", Addr: at("RABBITMQ_IP", 5672), Clients: bus},
		{Name: "memcached", Addr: at("MEMCACHED_IP", 11211), Clients: cache},
		{Name: "OVN northbound", Addr: at("OVN_NORTHD_IP", 6641), Clients: ovn},
		{Name: "OVN southbound", Addr: at("OVN_NORTHD_IP", 6642), Clients: ovn},
		{Name: "nova metadata API", Addr: at("NOVA_API_IP", 8775)},
		// Erlang's port mapper and distribution: rabbitmq-diagnostics
		// uses them from inside RabbitMQ's container only.
		{Name: "RabbitMQ's epmd", Addr: at("RABBITMQ_IP", 4369)},
		{Name: "RabbitMQ's distribution", Addr: at("RABBITMQ_IP", 25672)},
	}
}
