package openstack

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/external"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/rules"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
)

// ProviderPools returns the allocation pools of the public subnet on the
// provider network cidr whose gateway is gateway (BREX_IP): every usable
// address below the top quarter of the network, but the gateway. The top
// quarter (the last size/4 addresses, broadcast included) stays outside
// the pools, so Neutron never hands it out and the operator can give those
// addresses by hand. For the default 172.31.0.128/25 with gateway .129
// that is 172.31.0.130-172.31.0.223 (the original used .130-.200).
func ProviderPools(cidr, gateway string) ([]subnets.AllocationPool, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil || !prefix.Addr().Is4() {
		return nil, fmt.Errorf("provider network %q is not an IPv4 CIDR", cidr)
	}
	prefix = prefix.Masked()
	gw, err := netip.ParseAddr(gateway)
	if err != nil || !gw.Is4() {
		return nil, fmt.Errorf("gateway %q is not an IPv4 address", gateway)
	}
	if !prefix.Contains(gw) {
		return nil, fmt.Errorf("gateway %s is not inside the provider network %s", gw, prefix)
	}
	if prefix.Bits() > 30 {
		return nil, fmt.Errorf("provider network %s is too small: /30 is the smallest usable network", prefix)
	}
	size := uint32(1) << (32 - prefix.Bits())
	network := u32(prefix.Addr())
	first, last := network+1, network+size-size/4-1
	g := u32(gw)
	var pools []subnets.AllocationPool
	add := func(from, to uint32) {
		if from <= to {
			pools = append(pools, subnets.AllocationPool{Start: addr(from).String(), End: addr(to).String()})
		}
	}
	if g < first || g > last {
		add(first, last)
	} else {
		add(first, g-1)
		add(g+1, last)
	}
	if len(pools) == 0 {
		return nil, fmt.Errorf("provider network %s has no address for floating IPs besides gateway %s", prefix, gw)
	}
	return pools, nil
}

func u32(a netip.Addr) uint32 { b := a.As4(); return binary.BigEndian.Uint32(b[:]) }

func addr(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// netInfo is what post-setup reads of a network.
type netInfo struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Shared          bool   `json:"shared"`
	External        bool   `json:"router:external"`
	NetworkType     string `json:"provider:network_type"`
	PhysicalNetwork string `json:"provider:physical_network"`
}

// providerOpts adds the provider attributes to a network create.
type providerOpts struct {
	networks.CreateOptsBuilder
	NetworkType, PhysicalNetwork string
}

func (o providerOpts) ToNetworkCreateMap() (map[string]any, error) {
	m, err := o.CreateOptsBuilder.ToNetworkCreateMap()
	if err != nil {
		return nil, err
	}
	n := m["network"].(map[string]any)
	n["provider:network_type"] = o.NetworkType
	n["provider:physical_network"] = o.PhysicalNetwork
	return m, nil
}

// networkSpec is a network post-setup makes.
type networkSpec struct {
	name     string
	external bool // router:external, on the flat provider network
}

// ensureNetwork returns the ID of the network of spec: shared, and for
// an external one router:external on the flat provider physical network.
func (p *postSetup) ensureNetwork(ctx context.Context, spec networkSpec) (string, error) {
	c := p.admin.network
	what := "network " + spec.name
	pages, err := networks.List(c, networks.ListOpts{Name: spec.name}).AllPages(ctx)
	if err != nil {
		return "", fmt.Errorf("list networks named %s: %w", spec.name, err)
	}
	var found []netInfo
	if err := networks.ExtractNetworksInto(pages, &found); err != nil {
		return "", fmt.Errorf("read networks named %s: %w", spec.name, err)
	}
	yes := true
	if len(found) == 0 {
		var opts networks.CreateOptsBuilder = networks.CreateOpts{Name: spec.name, Shared: &yes}
		detail := "shared"
		if spec.external {
			opts = providerOpts{external.CreateOptsExt{CreateOptsBuilder: opts, External: &yes}, "flat", PhysicalNetwork}
			detail = "shared, external, flat on physical network " + PhysicalNetwork
		}
		n, err := networks.Create(ctx, c, opts).Extract()
		if err != nil {
			return "", fmt.Errorf("create %s: %w", what, err)
		}
		p.record(Created, what, detail)
		return n.ID, nil
	}
	if len(found) > 1 {
		return "", fmt.Errorf("%d networks are named %s; delete all but one, then run post-setup again", len(found), spec.name)
	}
	n := found[0]
	var fix []string
	var update networks.UpdateOptsBuilder
	base := networks.UpdateOpts{}
	if !n.Shared {
		base.Shared = &yes
		fix = append(fix, "shared")
	}
	update = base
	if spec.external && !n.External {
		update = external.UpdateOptsExt{UpdateOptsBuilder: base, External: &yes}
		fix = append(fix, "router:external")
	}
	if len(fix) > 0 {
		if _, err := networks.Update(ctx, c, n.ID, update).Extract(); err != nil {
			return "", fmt.Errorf("update %s (%s): %w", what, strings.Join(fix, ", "), err)
		}
		p.record(Updated, what, "made "+strings.Join(fix, " and "))
		return n.ID, nil
	}
	detail := ""
	if spec.external && (n.NetworkType != "flat" || n.PhysicalNetwork != PhysicalNetwork) {
		// Provider attributes cannot change on a network with ports; say so.
		detail = fmt.Sprintf("note: it is %s on physical network %q, not flat on %q; delete it to have post-setup make it again",
			n.NetworkType, n.PhysicalNetwork, PhysicalNetwork)
	}
	p.record(Exists, what, detail)
	return n.ID, nil
}

// subnetSpec is a subnet post-setup makes. A zero gateway or nil pools
// leave Neutron's default (and are not compared).
type subnetSpec struct {
	name, cidr string
	gateway    string
	dhcp       bool
	pools      []subnets.AllocationPool
	dns        []string
}

// subnetChanges is the update that makes have match want, with the list
// of what it changes; an error when only a new subnet can (another CIDR).
func subnetChanges(have subnets.Subnet, want subnetSpec) (subnets.UpdateOpts, []string, error) {
	var u subnets.UpdateOpts
	var changes []string
	if have.CIDR != want.cidr {
		return u, nil, fmt.Errorf("subnet %s has CIDR %s, not %s; a subnet's CIDR cannot change: delete it (and what uses it), then run post-setup again",
			want.name, have.CIDR, want.cidr)
	}
	if want.gateway != "" && have.GatewayIP != want.gateway {
		u.GatewayIP = &want.gateway
		changes = append(changes, fmt.Sprintf("gateway %s→%s", orNone(have.GatewayIP), want.gateway))
	}
	if have.EnableDHCP != want.dhcp {
		dhcp := want.dhcp
		u.EnableDHCP = &dhcp
		changes = append(changes, fmt.Sprintf("dhcp %t→%t", have.EnableDHCP, want.dhcp))
	}
	if want.pools != nil && !slices.Equal(have.AllocationPools, want.pools) {
		u.AllocationPools = want.pools
		changes = append(changes, fmt.Sprintf("allocation pools %s→%s", poolsText(have.AllocationPools), poolsText(want.pools)))
	}
	if want.dns != nil && !slices.Equal(have.DNSNameservers, want.dns) {
		dns := slices.Clone(want.dns)
		u.DNSNameservers = &dns
		changes = append(changes, fmt.Sprintf("dns %s→%s", orNone(strings.Join(have.DNSNameservers, ",")), strings.Join(want.dns, ",")))
	}
	return u, changes, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func poolsText(pools []subnets.AllocationPool) string {
	var parts []string
	for _, p := range pools {
		parts = append(parts, p.Start+"-"+p.End)
	}
	return orNone(strings.Join(parts, ","))
}

// ensureSubnet returns the ID of the subnet of spec on networkID.
func (p *postSetup) ensureSubnet(ctx context.Context, networkID string, spec subnetSpec) (string, error) {
	c := p.admin.network
	what := "subnet " + spec.name
	pages, err := subnets.List(c, subnets.ListOpts{Name: spec.name, NetworkID: networkID}).AllPages(ctx)
	if err != nil {
		return "", fmt.Errorf("list subnets named %s: %w", spec.name, err)
	}
	found, err := subnets.ExtractSubnets(pages)
	if err != nil {
		return "", fmt.Errorf("read subnets named %s: %w", spec.name, err)
	}
	if len(found) == 0 {
		dhcp := spec.dhcp
		opts := subnets.CreateOpts{NetworkID: networkID, Name: spec.name, CIDR: spec.cidr, IPVersion: gophercloud.IPv4,
			EnableDHCP: &dhcp, AllocationPools: spec.pools, DNSNameservers: spec.dns}
		detail := spec.cidr
		if spec.gateway != "" {
			gw := spec.gateway
			opts.GatewayIP = &gw
			detail += ", gateway " + gw
		}
		if spec.pools != nil {
			detail += ", pool " + poolsText(spec.pools)
		}
		if spec.dns != nil {
			detail += ", dns " + strings.Join(spec.dns, ",")
		}
		if !spec.dhcp {
			detail += ", no DHCP"
		}
		s, err := subnets.Create(ctx, c, opts).Extract()
		if err != nil {
			return "", fmt.Errorf("create %s: %w", what, err)
		}
		p.record(Created, what, detail)
		return s.ID, nil
	}
	if len(found) > 1 {
		return "", fmt.Errorf("%d subnets are named %s; delete all but one, then run post-setup again", len(found), spec.name)
	}
	s := found[0]
	update, changes, err := subnetChanges(s, spec)
	if err != nil {
		return "", err
	}
	if len(changes) == 0 {
		p.record(Exists, what, "")
		return s.ID, nil
	}
	if _, err := subnets.Update(ctx, c, s.ID, update).Extract(); err != nil {
		return "", fmt.Errorf("update %s (%s): %w", what, strings.Join(changes, ", "), err)
	}
	p.record(Updated, what, strings.Join(changes, ", "))
	return s.ID, nil
}

// ensureNetworks makes the external network public with its subnet on
// PROVIDER_NETWORK, and the shared network private.
func (p *postSetup) ensureNetworks(ctx context.Context) error {
	pools, err := ProviderPools(p.o.ProviderCIDR, p.o.Gateway)
	if err != nil {
		return fmt.Errorf("subnet %s: %w", PublicSubnet, err)
	}
	prefix, _ := netip.ParsePrefix(p.o.ProviderCIDR) // ProviderPools parsed it
	if p.publicNetID, err = p.ensureNetwork(ctx, networkSpec{name: PublicNetwork, external: true}); err != nil {
		return err
	}
	if _, err := p.ensureSubnet(ctx, p.publicNetID, subnetSpec{name: PublicSubnet, cidr: prefix.Masked().String(),
		gateway: p.o.Gateway, dhcp: false, pools: pools}); err != nil {
		return err
	}
	if p.privateNetID, err = p.ensureNetwork(ctx, networkSpec{name: PrivateNetwork}); err != nil {
		return err
	}
	p.privateSubnetID, err = p.ensureSubnet(ctx, p.privateNetID, subnetSpec{name: PrivateSubnet, cidr: PrivateCIDR,
		dhcp: true, dns: []string{p.o.Gateway}})
	return err
}

// ensureRouter makes router1 with its gateway on public and an interface
// on private-subnet; each part is checked, and made when missing, also
// when the router exists.
func (p *postSetup) ensureRouter(ctx context.Context) error {
	c := p.admin.network
	what := "router " + RouterName
	pages, err := routers.List(c, routers.ListOpts{Name: RouterName}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("list routers named %s: %w", RouterName, err)
	}
	found, err := routers.ExtractRouters(pages)
	if err != nil {
		return fmt.Errorf("read routers named %s: %w", RouterName, err)
	}
	gateway := &routers.GatewayInfo{NetworkID: p.publicNetID}
	var routerID string
	switch {
	case len(found) > 1:
		return fmt.Errorf("%d routers are named %s; delete all but one, then run post-setup again", len(found), RouterName)
	case len(found) == 0:
		r, err := routers.Create(ctx, c, routers.CreateOpts{Name: RouterName, GatewayInfo: gateway}).Extract()
		if err != nil {
			return fmt.Errorf("create %s: %w", what, err)
		}
		routerID = r.ID
		p.record(Created, what, "gateway on network "+PublicNetwork)
	case found[0].GatewayInfo.NetworkID != p.publicNetID:
		routerID = found[0].ID
		if _, err := routers.Update(ctx, c, routerID, routers.UpdateOpts{GatewayInfo: gateway}).Extract(); err != nil {
			return fmt.Errorf("set the gateway of %s to network %s: %w", what, PublicNetwork, err)
		}
		p.record(Updated, what, "gateway set to network "+PublicNetwork)
	default:
		routerID = found[0].ID
		p.record(Exists, what, "")
	}

	what = fmt.Sprintf("interface of router %s on subnet %s", RouterName, PrivateSubnet)
	portPages, err := ports.List(c, ports.ListOpts{DeviceID: routerID, NetworkID: p.privateNetID,
		FixedIPs: []ports.FixedIPOpts{{SubnetID: p.privateSubnetID}}}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("list the ports of %s: %w", what, err)
	}
	all, err := ports.ExtractPorts(portPages)
	if err != nil {
		return fmt.Errorf("read the ports of %s: %w", what, err)
	}
	for _, port := range all {
		for _, ip := range port.FixedIPs {
			if ip.SubnetID == p.privateSubnetID {
				p.record(Exists, what, "")
				return nil
			}
		}
	}
	if _, err := routers.AddInterface(ctx, c, routerID, routers.AddInterfaceOpts{SubnetID: p.privateSubnetID}).Extract(); err != nil {
		return fmt.Errorf("add %s: %w", what, err)
	}
	p.record(Created, what, "")
	return nil
}

// ruleSpec is an ingress rule, from anywhere, in a default security group.
type ruleSpec struct {
	protocol         rules.RuleProtocol
	portMin, portMax int
}

func (r ruleSpec) String() string {
	s := "ingress " + string(r.protocol)
	if r.portMin != 0 {
		s += fmt.Sprintf(" %d", r.portMin)
		if r.portMax != r.portMin {
			s += fmt.Sprintf("-%d", r.portMax)
		}
	}
	return s + " from 0.0.0.0/0"
}

// secGroupRules are SSH and ping, as the original opens them.
var secGroupRules = []ruleSpec{{rules.ProtocolTCP, 22, 22}, {rules.ProtocolICMP, 0, 0}}

// matches reports whether rule r already lets spec's traffic in. Neutron
// takes a missing remote prefix for 0.0.0.0/0.
func (r ruleSpec) matches(have rules.SecGroupRule) bool {
	return have.Direction == string(rules.DirIngress) && have.EtherType == string(rules.EtherType4) &&
		have.Protocol == string(r.protocol) && have.PortRangeMin == r.portMin && have.PortRangeMax == r.portMax &&
		(have.RemoteIPPrefix == "" || have.RemoteIPPrefix == "0.0.0.0/0") && have.RemoteGroupID == "" &&
		have.RemoteAddressGroupID == ""
}

// ensureSecurityGroups opens SSH and ICMP in the default security group of
// the admin and the hotstack projects. Each project's own session lists
// its group (Neutron makes a project's default group the first time the
// project asks for its groups) and makes the rules, so they belong to it.
func (p *postSetup) ensureSecurityGroups(ctx context.Context) error {
	for _, proj := range []struct {
		name string
		s    *session
	}{{p.o.Admin.Project, p.admin}, {HotstackProject, p.user}} {
		if err := p.ensureDefaultRules(ctx, proj.name, proj.s); err != nil {
			return err
		}
	}
	return nil
}

func (p *postSetup) ensureDefaultRules(ctx context.Context, project string, s *session) error {
	c := s.network
	group := fmt.Sprintf("security group %s of project %s", defaultSecGroup, project)
	pages, err := groups.List(c, groups.ListOpts{Name: defaultSecGroup, ProjectID: s.projectID}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("list the %s: %w", group, err)
	}
	found, err := groups.ExtractGroups(pages)
	if err != nil {
		return fmt.Errorf("read the %s: %w", group, err)
	}
	if len(found) == 0 {
		return fmt.Errorf("no %s: Neutron did not create it when the project listed its groups", group)
	}
	sg := found[0]
	for _, spec := range secGroupRules {
		what := fmt.Sprintf("rule %s in %s", spec, group)
		if slices.ContainsFunc(sg.Rules, spec.matches) {
			p.record(Exists, what, "")
			continue
		}
		_, err := rules.Create(ctx, c, rules.CreateOpts{Direction: rules.DirIngress, EtherType: rules.EtherType4,
			SecGroupID: sg.ID, Protocol: spec.protocol, PortRangeMin: spec.portMin, PortRangeMax: spec.portMax,
			RemoteIPPrefix: "0.0.0.0/0"}).Extract()
		switch {
		case err == nil:
			p.record(Created, what, "")
		case conflict(err): // an equal rule Neutron counts as a duplicate
			p.record(Exists, what, "")
		default:
			return fmt.Errorf("create %s: %w", what, err)
		}
	}
	return nil
}
