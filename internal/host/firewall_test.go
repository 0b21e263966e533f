package host

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/retry"
	"github.com/hotstack-os/hotstack-os/internal/testns"
)

// TestFirewallShieldsTheServices plays the attackers of a shared LAN against
// the real kernel, in private namespaces: a LAN neighbour with a route to
// the container network through the host, and the local user nobody. A
// "service" listens in a container namespace (as MariaDB would), a
// published API port reaches it through a DNAT rule (as podman publishes
// haproxy's), and something listens on BREX_IP (as the VNC consoles do).
// On the container bridge, a container that is not MariaDB's client tries
// it too. Everything answers before the tables are loaded, and only the
// published port (and root, and the containers that should) after.
func TestFirewallShieldsTheServices(t *testing.T) {
	if !testns.Enter(t) {
		return
	}
	for _, tool := range []string{"nft", "nc", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	testns.Tmpfs(t, "/run/netns")
	run := func(args ...string) { testns.Run(t, args[0], args[1:]...) }
	for _, ns := range []string{"lan", "ctr", "client", "other"} {
		run("ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The LAN: 192.0.2.0/24, the neighbour routing the stack's networks
	// through the host.
	run("ip", "link", "add", "lan0", "type", "veth", "peer", "name", "lan1", "netns", "lan")
	run("ip", "addr", "add", "192.0.2.1/24", "dev", "lan0")
	run("ip", "link", "set", "lan0", "up")
	run("ip", "-n", "lan", "addr", "add", "192.0.2.2/24", "dev", "lan1")
	run("ip", "-n", "lan", "link", "set", "lan1", "up")
	run("ip", "-n", "lan", "link", "set", "lo", "up")
	run("ip", "-n", "lan", "route", "add", "172.31.0.0/24", "via", "192.0.2.1")
	// The container network, a bridge as podman's: MariaDB's container, a
	// container that uses it, and one that does not (haproxy, say).
	run("ip", "link", "add", "cbr0", "type", "bridge")
	run("ip", "addr", "add", "172.31.0.1/25", "dev", "cbr0")
	run("ip", "link", "set", "cbr0", "up")
	for ns, addr := range map[string]string{"ctr": "172.31.0.3/25", "client": "172.31.0.11/25", "other": "172.31.0.9/25"} {
		run("ip", "link", "add", "v"+ns, "type", "veth", "peer", "name", "eth0", "netns", ns)
		run("ip", "link", "set", "v"+ns, "master", "cbr0")
		run("ip", "link", "set", "v"+ns, "up")
		run("ip", "-n", ns, "addr", "add", addr, "dev", "eth0")
		run("ip", "-n", ns, "link", "set", "eth0", "up")
		run("ip", "-n", ns, "link", "set", "lo", "up")
		run("ip", "-n", ns, "route", "add", "default", "via", "172.31.0.1")
	}
	// hot-ex with BREX_IP, and podman's publishing of an API port.
	run("ip", "link", "add", ExternalBridge, "type", "bridge")
	run("ip", "addr", "add", "172.31.0.129/25", "dev", ExternalBridge)
	run("ip", "link", "set", ExternalBridge, "up")
	publish := "table ip standin-podman {\n" +
		"\tchain pre { type nat hook prerouting priority dstnat; ip daddr 172.31.0.129 tcp dport 5000 dnat to 172.31.0.3:5000; }\n" +
		"\tchain out { type nat hook output priority -100; ip daddr 172.31.0.129 tcp dport 5000 dnat to 172.31.0.3:5000; }\n}\n"
	nft(t, publish)

	listen := func(ns, addr, port string) {
		args := []string{"nc", "-lk", addr, port}
		if ns != "" {
			args = append([]string{"ip", "netns", "exec", ns}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	listen("ctr", "172.31.0.3", "3306") // MariaDB
	listen("ctr", "172.31.0.3", "5000") // Keystone behind haproxy
	listen("", "172.31.0.129", "5900")  // a VNC console
	answers := func(who, addr, port string) bool {
		args := []string{"nc", "-z", "-w", "2", addr, port}
		switch who {
		case "neighbour":
			args = append([]string{"ip", "netns", "exec", "lan"}, args...)
		case "container", "client", "other":
			ns := map[string]string{"container": "ctr", "client": "client", "other": "other"}[who]
			args = append([]string{"ip", "netns", "exec", ns}, args...)
		case "nobody":
			args = append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, args...)
		}
		return exec.Command(args[0], args[1:]...).Run() == nil
	}
	type probe struct {
		who, addr, port string
		after           bool // answers once the table is loaded
	}
	probes := []probe{
		{"neighbour", "172.31.0.3", "3306", false},
		{"neighbour", "172.31.0.129", "5900", false},
		{"neighbour", "172.31.0.129", "5000", true},
		{"nobody", "172.31.0.3", "3306", false},
		{"nobody", "172.31.0.129", "5000", true},
		{"root", "172.31.0.3", "3306", true},
		{"container", "172.31.0.129", "5900", true},
		{"client", "172.31.0.3", "3306", true},
		{"other", "172.31.0.3", "3306", false},
		{"other", "172.31.0.3", "5000", true}, // not a backend port
	}
	// The listeners start in the background: each probe is tried until
	// it answers (a loaded machine may take a moment), so a slow start
	// is never mistaken for the rules' effect.
	for _, p := range probes {
		err := retry.Do(context.Background(), retry.Every(200*time.Millisecond, 20*time.Second), func(context.Context) error {
			if !answers(p.who, p.addr, p.port) {
				return fmt.Errorf("%s does not reach %s:%s", p.who, p.addr, p.port)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("before the table: %v; the test cannot tell the rules' effect", err)
		}
	}
	fw := testFirewall()
	fw.Backends = []Backend{{Name: "MariaDB", Addr: netip.MustParseAddrPort("172.31.0.3:3306"), Clients: []netip.Addr{netip.MustParseAddr("172.31.0.11")}}}
	script, _ := natRules(fw)
	nft(t, script)
	for _, p := range probes {
		got := answers(p.who, p.addr, p.port)
		if !got && p.after { // a loaded machine's slow answer is not a refusal: try again
			got = retry.Do(context.Background(), retry.Every(500*time.Millisecond, 10*time.Second), func(context.Context) error {
				if !answers(p.who, p.addr, p.port) {
					return errors.New("no answer")
				}
				return nil
			}) == nil
		}
		if got != p.after {
			t.Errorf("with the table: %s reaches %s:%s: %v, want %v", p.who, p.addr, p.port, got, p.after)
		}
	}
	if t.Failed() {
		out, _ := exec.Command("nft", "list", "ruleset").CombinedOutput()
		t.Logf("ruleset:\n%s", out)
	}
}

func nft(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s\n%s", err, out, script)
	}
}

// TestBackendsAcceptOnlyTheirClients: who may reach each backend follows
// from what each container carries.
func TestBackendsAcceptOnlyTheirClients(t *testing.T) {
	cfg := testConfig(t, "")
	ip := func(key string) netip.Addr { return netip.MustParseAddr(cfg.Get(key)) }
	clients := map[string][]netip.Addr{}
	for _, b := range Backends(cfg) {
		clients[b.Name] = b.Clients
	}
	for _, c := range []struct {
		backend string
		key     string
		want    bool
	}{
		{"MariaDB", "KEYSTONE_IP", true},
		{"MariaDB", "NOVA_NOVNCPROXY_IP", true},
		{"MariaDB", "OVN_NORTHD_IP", false},
		{"MariaDB", "MEMCACHED_IP", false},
		{"RabbitMQ", "NOVA_CONDUCTOR_IP", true},
		{"RabbitMQ", "PLACEMENT_IP", false},
		{"RabbitMQ", "KEYSTONE_IP", false},
		{"memcached", "KEYSTONE_IP", true},
		{"memcached", "GLANCE_IP", true},
		{"memcached", "NOVA_CONDUCTOR_IP", false},
		{"OVN northbound", "NEUTRON_SERVER_IP", true},
		{"OVN southbound", "NOVA_API_IP", false},
		{"nova metadata API", "NEUTRON_SERVER_IP", false},
	} {
		if got := slices.Contains(clients[c.backend], ip(c.key)); got != c.want {
			t.Errorf("%s accepts %s (%s): %v, want %v", c.backend, c.key, ip(c.key), got, c.want)
		}
	}
}
