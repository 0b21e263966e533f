//go:build e2e

package e2e

import (
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

// The stand-in for "the internet" of the real-cloud box: a network
// namespace inside the box (so inside the box's own network namespace,
// never the host's), reached by the box's default route, with a DNS server
// (dnsmasq, from the stack's own image, in a container joined to the
// namespace: busybox here has no DNS server) and busybox's web server. A
// guest that fetches its page by name has
// used the cloud's dnsmasq (forwarding to the box's resolver), the router's
// SNAT and the host's masquerade. 198.51.100.0/24 is TEST-NET-2 (RFC 5737):
// no cloud network uses it and nothing real answers there.
const (
	internetNS   = "internet"
	internetIP   = "198.51.100.1"
	internetBox  = "198.51.100.2"
	internetName = "www.hotstack-e2e.test"
	// internetPage is what the page says; the smoke looks for it.
	internetPage = "hotstack-os e2e: the outside answers"
	// internetImage is a 3 MiB file the stand-in serves as an image.
	internetImage = "ipxe-bios-latest.img"
	// internetDNSImage is the stack's dnsmasq image (mage images built it).
	internetDNSImage = "localhost/hotstack-os_dnsmasq:" + stack.DefaultRelease
)

// makeInternet sets the stand-in up in the box, points the box's
// /etc/resolv.conf (on the box's overlay, not the host's) at its DNS
// server, and returns the smoke's environment for the egress check.
func (s *Stack) makeInternet(t *testing.T) []string {
	t.Helper()
	script := strings.Join([]string{
		"set -e",
		"ip netns add " + internetNS,
		"ip link add inet0 type veth peer name inet1 netns " + internetNS,
		"ip addr add " + internetBox + "/24 dev inet0",
		"ip link set inet0 up",
		"ip -n " + internetNS + " link set lo up",
		"ip -n " + internetNS + " addr add " + internetIP + "/24 dev inet1",
		"ip -n " + internetNS + " link set inet1 up",
		"ip route replace default via " + internetIP,
		"mkdir -p /srv/internet",
		"echo '" + internetPage + "' > /srv/internet/index.html",
		// A disk image to download (post-setup's image catalogue).
		"head -c 3145728 /dev/urandom > /srv/internet/" + internetImage,
		"podman run -d --rm --name e2e-internet-dns --network ns:/run/netns/" + internetNS + " --entrypoint dnsmasq " + internetDNSImage +
			" --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=" + internetIP +
			" --address=/" + internetName + "/" + internetIP,
		"ip netns exec " + internetNS + " busybox httpd -p " + internetIP + ":80 -h /srv/internet",
		"printf 'nameserver " + internetIP + "\\n' > /etc/resolv.conf",
	}, "\n")
	s.MustExec(t, "sh", "-c", script)
	return []string{"HOTSTACK_SMOKE_EGRESS_URL=http://" + internetName + "/", "HOTSTACK_SMOKE_EGRESS_EXPECT=" + internetPage}
}
