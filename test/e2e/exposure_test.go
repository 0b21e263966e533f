//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// checkExposure plays the two attackers of issue "secure by default" on the
// running cloud: the internet stand-in, a neighbour of the box, with routes
// to the container and provider networks through the box (as a LAN
// neighbour could add), and the local user nobody. Each tries every
// internal service; only haproxy's published API port answers them. Root
// on the host (the stack's own tools) still reaches every service, which
// shows the probes themselves work. (haproxy's stats page listens on the
// container's loopback only.) Between containers, a backend accepts only
// the containers that use it.
func (s *Stack) checkExposure(t *testing.T) {
	t.Helper()
	s.MustExec(t, "sh", "-c", "ip -n "+internetNS+" route replace 172.31.0.0/24 via "+internetBox)
	internal := map[string]string{
		"MariaDB":             "172.31.0.3:3306",
		"RabbitMQ":            "172.31.0.4:5672",
		"memcached":           "172.31.0.5:11211",
		"OVN northbound":      "172.31.0.31:6641",
		"OVN southbound":      "172.31.0.31:6642",
		"nova's metadata API": "172.31.0.21:8775",
		"Keystone directly":   "172.31.0.11:5000",
	}
	published := "172.31.0.129:5000"
	// bash's /dev/tcp: a connection, with nothing but bash in the box.
	reaches := func(prefix, addr string) bool {
		host, port, _ := strings.Cut(addr, ":")
		cmd := fmt.Sprintf("%s timeout 4 bash -c 'exec 3<>/dev/tcp/%s/%s'", prefix, host, port)
		_, err := s.Exec("sh", "-c", cmd)
		return err == nil
	}
	who := map[string]string{
		"the LAN neighbour": "ip netns exec " + internetNS,
		"nobody":            "setpriv --reuid=65534 --regid=65534 --clear-groups",
	}
	for name, addr := range internal {
		if !reaches("", addr) {
			t.Errorf("root on the host does not reach %s at %s: the probe proves nothing", name, addr)
		}
	}
	for w, prefix := range who {
		for name, addr := range internal {
			if reaches(prefix, addr) {
				t.Errorf("%s reaches %s at %s", w, name, addr)
			}
		}
		if !reaches(prefix, published) {
			t.Errorf("%s does not reach the published Keystone API at %s", w, published)
		}
	}
	// Inside the container network, a backend accepts only its clients:
	// haproxy uses none of them, Keystone uses MariaDB and memcached.
	inHaproxy, inKeystone := "podman exec hotstack-os-haproxy", "podman exec hotstack-os-keystone"
	if !reaches(inHaproxy, internal["Keystone directly"]) {
		t.Fatalf("haproxy's container does not reach Keystone, its backend: the probe proves nothing")
	}
	for _, name := range []string{"MariaDB", "RabbitMQ", "memcached", "OVN southbound"} {
		if reaches(inHaproxy, internal[name]) {
			t.Errorf("haproxy's container reaches %s at %s", name, internal[name])
		}
	}
	for _, name := range []string{"MariaDB", "memcached"} {
		if !reaches(inKeystone, internal[name]) {
			t.Errorf("Keystone's container does not reach %s at %s", name, internal[name])
		}
	}
	t.Logf("the LAN neighbour and nobody reach %s only; %d internal services refused them; haproxy's container reaches no backend", published, len(internal))
}
