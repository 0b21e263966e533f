package host

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// Guests reach the world the way a home router's clients do: their traffic
// leaves the provider network (router gateways and floating IPs, all in
// PROVIDER_NETWORK) through the host, masqueraded behind the host's own
// address on whatever interface its routes choose; and their DNS server,
// the cloud's dnsmasq on BREX_IP, forwards the names it does not own to the
// host's resolvers.

// NATTable is the nftables table setup owns. Everything hotstack-os adds to
// the firewall lives in it, so cleanup removes exactly that table and never
// touches a rule it did not make.
const NATTable = "hotstack-os"

// IPForward is the kernel switch that lets the host route guests' traffic.
const IPForward = "/proc/sys/net/ipv4/ip_forward"

// ResolvConf is the host's resolver configuration, read for dnsmasq's
// upstream servers.
const ResolvConf = "/etc/resolv.conf"

// UpstreamDir is where (below HOTSTACK_DATA_DIR) setup writes dnsmasq's
// upstream servers; the dnsmasq unit mounts the directory.
const UpstreamDir = "dns"

// Firewall is what the table's rules need to know.
type Firewall struct {
	Provider  netip.Prefix // PROVIDER_NETWORK: guests' router gateways and floating IPs
	Container netip.Prefix // CONTAINER_NETWORK: the services
	Brex      netip.Addr   // BREX_IP, on hot-ex
	// Published are the TCP ports podman publishes on BREX_IP (haproxy's
	// API ports).
	Published []int
	// ServiceUIDs are the accounts the stack's host-network containers
	// run their daemons as (nova-compute, cinder-volume, the metadata
	// agent): besides root, the only local users that reach the services
	// directly.
	ServiceUIDs []int
	// Backends are the infrastructure services and, for each, the only
	// containers that may connect to it over the podman bridge.
	Backends []Backend
}

// Backend is a service port and the container addresses allowed to reach
// it across the bridge (the host reaches it through the output chain).
type Backend struct {
	Name    string
	Addr    netip.AddrPort
	Clients []netip.Addr
}

// natRules is the nftables script for the table. The guests' way out: a
// masquerade of every packet from the provider network that leaves by
// another interface than hot-ex. The services' shield (the host routes to
// the container network, so without it any LAN neighbour with a route,
// and any local user, reaches MariaDB, RabbitMQ, memcached and OVN's
// databases, which trust the network):
//   - forward: into the container network only replies, traffic from the
//     container network itself, and connections to the published API
//     ports (podman's DNAT): guests, too, reach the services only through
//     the API endpoints on BREX_IP (and metadata through OVN);
//   - output: local processes reach the container network only as root or
//     as a service account, or through the published ports;
//   - input: BREX_IP answers others than the host, the guests and the
//     containers on the published ports only (VNC consoles and dnsmasq
//     listen there).
//
// A drop in any table is final, so these hold whatever podman's or
// firewalld's own rules accept. The table's comment holds the hash of the
// rules, so that a check compares one word instead of parsing nft's
// listing.
func natRules(fw Firewall) (script, hash string) {
	ports := make([]string, len(fw.Published))
	for i, p := range fw.Published {
		ports[i] = strconv.Itoa(p)
	}
	uids := []string{"0"}
	for _, u := range fw.ServiceUIDs {
		uids = append(uids, strconv.Itoa(u))
	}
	published := "{ " + strings.Join(ports, ", ") + " }"
	body := fmt.Sprintf("\tchain postrouting {\n"+
		"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"+
		"\t\tip saddr %[1]s oifname != %[2]q masquerade\n"+
		"\t}\n"+
		"\tchain forward {\n"+
		"\t\ttype filter hook forward priority filter - 10; policy accept;\n"+
		"\t\tip daddr != %[3]s accept\n"+
		"\t\tct state established,related accept\n"+
		"\t\tct status dnat accept\n"+
		"\t\tip saddr %[3]s accept\n"+
		"\t\tcounter drop\n"+
		"\t}\n"+
		"\tchain output {\n"+
		"\t\ttype filter hook output priority filter - 10; policy accept;\n"+
		"\t\tip daddr != %[3]s accept\n"+
		"\t\tct state established,related accept\n"+
		"\t\tct status dnat accept\n"+
		"\t\tmeta skuid { %[5]s } accept\n"+
		"\t\tcounter drop\n"+
		"\t}\n"+
		"\tchain input {\n"+
		"\t\ttype filter hook input priority filter - 10; policy accept;\n"+
		"\t\tip daddr != %[4]s accept\n"+
		"\t\tiifname { \"lo\", %[2]q } accept\n"+
		"\t\tct state established,related accept\n"+
		"\t\tip saddr %[3]s accept\n"+
		"\t\ttcp dport %[6]s accept\n"+
		"\t\tcounter drop\n"+
		"\t}\n", fw.Provider.Masked(), ExternalBridge, fw.Container.Masked(), fw.Brex, strings.Join(uids, ", "), published)
	bridge := bridgeRules(fw.Backends)
	sum := sha256.Sum256([]byte(body + bridge))
	hash = hex.EncodeToString(sum[:8])
	// Declaring, deleting and declaring again replaces a table in one
	// transaction whether or not it existed; both tables go in one.
	script = fmt.Sprintf("table ip %[1]s\ndelete table ip %[1]s\ntable ip %[1]s {\n\tcomment \"hotstack-os %[2]s\"\n%[3]s}\n"+
		"table bridge %[1]s\ndelete table bridge %[1]s\ntable bridge %[1]s {\n%[4]s}\n", NATTable, hash, body, bridge)
	return script, hash
}

// bridgeRules is the bridge table's chain: between containers, a backend
// (MariaDB, RabbitMQ, memcached, OVN's databases) accepts only the
// containers that use it; haproxy, for one, reaches none of them. The
// bridge's forward hook sees every frame between two containers, with or
// without br_netfilter.
func bridgeRules(backends []Backend) string {
	var b strings.Builder
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	for _, be := range backends {
		clients := make([]string, len(be.Clients))
		for i, c := range be.Clients {
			clients[i] = c.String()
		}
		only := ""
		if len(clients) > 0 {
			only = " ip saddr != { " + strings.Join(clients, ", ") + " }"
		}
		fmt.Fprintf(&b, "\t\tip daddr %s tcp dport %d%s counter drop comment %q\n",
			be.Addr.Addr(), be.Addr.Port(), only, be.Name)
	}
	b.WriteString("\t}\n")
	return b.String()
}

// natState is what nft says of the table: absent, or present with the hash
// in its comment ("" when it has none).
type natState struct {
	present bool // table ip hotstack-os
	bridge  bool // table bridge hotstack-os
	hash    string
}

var errNoNft = errors.New("nft is not installed (apt-get install nftables): guests' traffic to the outside needs its masquerade rule")

func readNAT(ctx context.Context, r execx.Runner) (natState, error) {
	var st natState
	for _, family := range []string{"ip", "bridge"} {
		res, err := r.Run(ctx, execx.Command{Name: "nft", Args: []string{"list", "table", family, NATTable}})
		if err != nil {
			if errors.Is(err, exec.ErrNotFound) {
				return natState{}, errNoNft
			}
			if out := string(res.Stderr); strings.Contains(out, "No such file or directory") || strings.Contains(out, "does not exist") {
				continue
			}
			return natState{}, fmt.Errorf("nft list table %s %s: %w", family, NATTable, err)
		}
		if family == "bridge" {
			st.bridge = true
			continue
		}
		st.present = true
		for line := range strings.Lines(string(res.Stdout)) {
			line = strings.TrimSpace(line)
			if rest, ok := strings.CutPrefix(line, "comment \"hotstack-os "); ok {
				st.hash = strings.TrimSuffix(strings.TrimSuffix(rest, ";"), "\"")
			}
		}
	}
	return st, nil
}

func (h *Host) natStep(fw Firewall) step.Step {
	provider := fw.Provider
	script, hash := natRules(fw)
	target := "nftables table ip " + NATTable
	return observe(target,
		func(ctx context.Context) (natState, error) { return readNAT(ctx, h.Runner) },
		func(s natState) *step.Change {
			switch {
			case !s.present:
				return hostChange("create", target, "masquerade "+provider.Masked().String()+" leaving by any interface but "+ExternalBridge+
					"; into "+fw.Container.Masked().String()+" only its own, the guests' and published traffic")
			case s.hash != hash || !s.bridge:
				return hostChange("update", target, "masquerade and filter (rules differ)")
			}
			return nil
		},
		func(ctx context.Context, _ natState) error {
			_, err := h.Runner.Run(ctx, execx.Command{Name: "nft", Args: []string{"-f", "-"}, Stdin: strings.NewReader(script)})
			return err
		})
}

func (h *Host) natRemovalStep() step.Step {
	target := "nftables table ip " + NATTable
	return observe(target,
		func(ctx context.Context) (natState, error) {
			s, err := readNAT(ctx, h.Runner)
			if errors.Is(err, errNoNft) {
				return natState{}, nil // no nft, no table of ours
			}
			return s, err
		},
		func(s natState) *step.Change {
			if !s.present && !s.bridge {
				return nil
			}
			return hostChange("remove", target, "and table bridge "+NATTable)
		},
		func(ctx context.Context, _ natState) error {
			// Both tables, in one transaction (declaring first makes the
			// delete of a missing one harmless).
			script := fmt.Sprintf("table ip %[1]s\ndelete table ip %[1]s\ntable bridge %[1]s\ndelete table bridge %[1]s\n", NATTable)
			_, err := h.Runner.Run(ctx, execx.Command{Name: "nft", Args: []string{"-f", "-"}, Stdin: strings.NewReader(script)})
			return err
		})
}

// forwardStep turns IPv4 forwarding on: without it the host drops guests'
// traffic to the outside. (Podman turns it on too when it starts a
// container on a bridge network; setup does not rely on that order.)
func (h *Host) forwardStep() step.Step {
	return observe("IPv4 forwarding",
		func(context.Context) (string, error) {
			b, err := os.ReadFile(IPForward)
			return strings.TrimSpace(string(b)), err
		},
		func(v string) *step.Change {
			if v == "1" {
				return nil
			}
			return hostChange("update", "IPv4 forwarding", IPForward+" "+v+" -> 1")
		},
		func(context.Context, string) error { return os.WriteFile(IPForward, []byte("1\n"), 0o644) })
}

// Upstreams returns the resolv.conf dnsmasq reads: the host's nameservers
// from resolvConf, without the addresses dnsmasq itself listens on (asking
// itself would loop) and without unusable ones.
func Upstreams(resolvConf []byte, own ...string) []byte {
	skip := map[string]bool{"0.0.0.0": true, "::": true}
	for _, o := range own {
		skip[o] = true
	}
	var b bytes.Buffer
	b.WriteString("# Written by hotstack-os infra setup from the host's " + ResolvConf + ".\n")
	sc := bufio.NewScanner(bytes.NewReader(resolvConf))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "nameserver" {
			continue
		}
		a, err := netip.ParseAddr(f[1])
		if err != nil || skip[a.String()] {
			continue
		}
		fmt.Fprintf(&b, "nameserver %s\n", a)
	}
	return b.Bytes()
}

// upstreamStep keeps dnsmasq's upstream servers equal to the host's.
func (h *Host) upstreamStep(brexIP string) step.Step {
	file := filepath.Join(h.path(h.Config.Get("HOTSTACK_DATA_DIR")), UpstreamDir, "resolv.conf")
	type diff struct{ cur, want []byte }
	return observe("dnsmasq upstream servers "+file,
		func(context.Context) (diff, error) {
			host, err := os.ReadFile(h.path(ResolvConf))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return diff{}, err
			}
			cur, err := os.ReadFile(file)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return diff{}, err
			}
			return diff{cur: cur, want: Upstreams(host, "127.0.0.1", brexIP)}, nil
		},
		func(d diff) *step.Change {
			if bytes.Equal(d.cur, d.want) {
				return nil
			}
			servers := strings.Count(string(d.want), "nameserver ")
			action := "update"
			if d.cur == nil {
				action = "create"
			}
			return hostChange(action, "file "+file, fmt.Sprintf("%d upstream DNS server(s) from %s", servers, ResolvConf))
		},
		func(_ context.Context, d diff) error {
			_, err := atomicfile.Write(file, d.want, atomicfile.Options{Perm: 0o644})
			return err
		})
}
