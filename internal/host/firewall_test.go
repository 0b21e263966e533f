package host

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/testns"
)

// TestFirewallShieldsTheServices plays the attackers of a shared LAN against
// the real kernel, in private namespaces: a LAN neighbour with a route to
// the container network through the host, and the local user nobody. A
// "service" listens in a container namespace (as MariaDB would), a
// published API port reaches it through a DNAT rule (as podman publishes
// haproxy's), and something listens on BREX_IP (as the VNC consoles do).
// Everything answers before the table is loaded, and only the published
// port (and root, and the containers) after.
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
	for _, ns := range []string{"lan", "ctr"} {
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
	// A container on the container network.
	run("ip", "link", "add", "ctr0", "type", "veth", "peer", "name", "eth0", "netns", "ctr")
	run("ip", "addr", "add", "172.31.0.1/25", "dev", "ctr0")
	run("ip", "link", "set", "ctr0", "up")
	run("ip", "-n", "ctr", "addr", "add", "172.31.0.3/25", "dev", "eth0")
	run("ip", "-n", "ctr", "link", "set", "eth0", "up")
	run("ip", "-n", "ctr", "link", "set", "lo", "up")
	run("ip", "-n", "ctr", "route", "add", "default", "via", "172.31.0.1")
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
		case "container":
			args = append([]string{"ip", "netns", "exec", "ctr"}, args...)
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
	}
	for _, p := range probes {
		if !answers(p.who, p.addr, p.port) {
			t.Fatalf("before the table: %s does not reach %s:%s; the test cannot tell the rules' effect", p.who, p.addr, p.port)
		}
	}
	script, _ := natRules(testFirewall())
	nft(t, script)
	for _, p := range probes {
		if got := answers(p.who, p.addr, p.port); got != p.after {
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
