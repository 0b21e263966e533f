package openstack

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/rules"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"go.yaml.in/yaml/v3"
)

func TestProviderPools(t *testing.T) {
	pool := func(s, e string) subnets.AllocationPool { return subnets.AllocationPool{Start: s, End: e} }
	for _, tc := range []struct {
		cidr, gw string
		want     []subnets.AllocationPool
	}{
		// The default: gateway first, the top quarter (.224-.255) left out.
		{"172.31.0.128/25", "172.31.0.129", []subnets.AllocationPool{pool("172.31.0.130", "172.31.0.223")}},
		// Host bits in the CIDR are ignored.
		{"172.31.0.130/25", "172.31.0.129", []subnets.AllocationPool{pool("172.31.0.130", "172.31.0.223")}},
		// A gateway inside the range splits it.
		{"10.0.0.0/24", "10.0.0.100", []subnets.AllocationPool{pool("10.0.0.1", "10.0.0.99"), pool("10.0.0.101", "10.0.0.191")}},
		// A gateway at the end of the range or in the top quarter.
		{"10.0.0.0/24", "10.0.0.191", []subnets.AllocationPool{pool("10.0.0.1", "10.0.0.190")}},
		{"10.0.0.0/24", "10.0.0.254", []subnets.AllocationPool{pool("10.0.0.1", "10.0.0.191")}},
		// The smallest network: four addresses, one of them broadcast.
		{"192.168.5.0/30", "192.168.5.1", []subnets.AllocationPool{pool("192.168.5.2", "192.168.5.2")}},
		{"192.168.5.0/29", "192.168.5.1", []subnets.AllocationPool{pool("192.168.5.2", "192.168.5.5")}},
	} {
		got, err := ProviderPools(tc.cidr, tc.gw)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ProviderPools(%s, %s) = %v, %v; want %v", tc.cidr, tc.gw, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ cidr, gw, want string }{
		{"172.31.0.128/25", "172.31.0.1", "not inside"},
		{"nonsense", "172.31.0.1", "not an IPv4 CIDR"},
		{"fd00::/64", "fd00::1", "not an IPv4 CIDR"},
		{"172.31.0.128/25", "x", "not an IPv4 address"},
		{"172.31.0.128/31", "172.31.0.128", "too small"},
		{"192.168.5.0/30", "192.168.5.2", ""}, // pool .1
	} {
		_, err := ProviderPools(tc.cidr, tc.gw)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ProviderPools(%s, %s): %v", tc.cidr, tc.gw, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ProviderPools(%s, %s) error %v, want %q", tc.cidr, tc.gw, err, tc.want)
		}
	}
}

// Each quota update sends exactly the wanted keys, with their values.
func TestQuotaOptsSendTheirKeys(t *testing.T) {
	check := func(name string, want []QuotaValue, m map[string]any, err error, parent string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		data, _ := json.Marshal(m[parent])
		var got map[string]int
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("%s: %s: %v", name, data, err)
		}
		wantMap := map[string]int{}
		for _, q := range want {
			wantMap[q.Key] = q.Value
		}
		if !maps.Equal(got, wantMap) {
			t.Errorf("%s sends %v, want %v", name, got, wantMap)
		}
	}
	c, err := computeQuotaOpts(ComputeQuotas)
	m, _ := c.ToComputeQuotaUpdateMap()
	check("compute", ComputeQuotas, m, err, "quota_set")
	n, err := networkQuotaOpts(NetworkQuotas)
	m, _ = n.ToQuotaUpdateMap()
	check("network", NetworkQuotas, m, err, "quota")
	v, err := volumeQuotaOpts(VolumeQuotas)
	m, _ = v.ToBlockStorageQuotaUpdateMap()
	check("volume", VolumeQuotas, m, err, "quota_set")

	if _, err := computeQuotaOpts([]QuotaValue{{"floppies", 1}}); err == nil {
		t.Error("an unknown compute quota was accepted")
	}
}

func TestQuotaDiff(t *testing.T) {
	want := []QuotaValue{{"cores", 96}, {"ram", 307200}, {"instances", 50}}
	have := map[string]any{"id": "p", "cores": 20.0, "ram": 307200.0}
	got := quotaDiff(want, have)
	if w := []string{"cores 20→96", "instances unset→50"}; !slices.Equal(got, w) {
		t.Errorf("quotaDiff = %q, want %q", got, w)
	}
	if got := quotaDiff(want, map[string]any{"cores": 96.0, "ram": 307200.0, "instances": 50.0, "other": 3.0}); len(got) != 0 {
		t.Errorf("equal quotas differ: %q", got)
	}
}

func TestFlavorDiff(t *testing.T) {
	spec := FlavorSpec{"hotstack.tiny", 1, 256, 1}
	if d := flavorDiff(flavors.Flavor{VCPUs: 1, RAM: 256, Disk: 1, IsPublic: true}, spec); d != "" {
		t.Errorf("equal flavor differs: %s", d)
	}
	if d := flavorDiff(flavors.Flavor{VCPUs: 2, RAM: 256, Disk: 1}, spec); d != "vcpus 2→1, private→public" {
		t.Errorf("flavorDiff = %q", d)
	}
	names := map[string]bool{}
	for _, f := range Flavors {
		names[f.Name] = true
	}
	if len(names) != 8 || !names["hotstack.small"] || !names["hotstack.xxxlarge"] || !names["hotstack.tiny"] {
		t.Errorf("flavors: %v", names)
	}
}

func TestSubnetChanges(t *testing.T) {
	want := subnetSpec{name: PublicSubnet, cidr: "172.31.0.128/25", gateway: "172.31.0.129",
		pools: []subnets.AllocationPool{{Start: "172.31.0.130", End: "172.31.0.223"}}}
	have := subnets.Subnet{CIDR: "172.31.0.128/25", GatewayIP: "172.31.0.129", EnableDHCP: false,
		AllocationPools: []subnets.AllocationPool{{Start: "172.31.0.130", End: "172.31.0.223"}}}
	if _, changes, err := subnetChanges(have, want); err != nil || len(changes) != 0 {
		t.Errorf("equal subnet: %q, %v", changes, err)
	}

	have.AllocationPools = []subnets.AllocationPool{{Start: "172.31.0.130", End: "172.31.0.200"}}
	have.EnableDHCP = true
	u, changes, err := subnetChanges(have, want)
	if err != nil || !slices.Equal(changes, []string{"dhcp true→false", "allocation pools 172.31.0.130-172.31.0.200→172.31.0.130-172.31.0.223"}) {
		t.Errorf("changes %q, %v", changes, err)
	}
	if u.EnableDHCP == nil || *u.EnableDHCP || len(u.AllocationPools) != 1 || u.GatewayIP != nil || u.DNSNameservers != nil {
		t.Errorf("update %+v", u)
	}

	private := subnetSpec{name: PrivateSubnet, cidr: PrivateCIDR, dhcp: true, dns: []string{"172.31.0.129"}}
	u, changes, err = subnetChanges(subnets.Subnet{CIDR: PrivateCIDR, GatewayIP: "192.168.100.1", EnableDHCP: true}, private)
	if err != nil || !slices.Equal(changes, []string{"dns none→172.31.0.129"}) || u.DNSNameservers == nil {
		t.Errorf("private: %q, %v, %+v", changes, err, u)
	}

	if _, _, err := subnetChanges(subnets.Subnet{CIDR: "10.0.0.0/24"}, private); err == nil || !strings.Contains(err.Error(), "cannot change") {
		t.Errorf("another CIDR: %v", err)
	}
}

func TestRuleMatches(t *testing.T) {
	ssh := ruleSpec{rules.ProtocolTCP, 22, 22}
	base := rules.SecGroupRule{Direction: "ingress", EtherType: "IPv4", Protocol: "tcp", PortRangeMin: 22, PortRangeMax: 22, RemoteIPPrefix: "0.0.0.0/0"}
	if !ssh.matches(base) {
		t.Error("the SSH rule does not match itself")
	}
	anyRemote := base
	anyRemote.RemoteIPPrefix = ""
	if !ssh.matches(anyRemote) {
		t.Error("a rule without remote prefix lets SSH in from anywhere")
	}
	for _, mod := range []func(*rules.SecGroupRule){
		func(r *rules.SecGroupRule) { r.Direction = "egress" },
		func(r *rules.SecGroupRule) { r.EtherType = "IPv6" },
		func(r *rules.SecGroupRule) { r.PortRangeMax = 23 },
		func(r *rules.SecGroupRule) { r.RemoteIPPrefix = "10.0.0.0/8" },
		func(r *rules.SecGroupRule) { r.RemoteIPPrefix, r.RemoteGroupID = "", "g1" },
	} {
		r := base
		mod(&r)
		if ssh.matches(r) {
			t.Errorf("%+v matches the SSH rule", r)
		}
	}
	if s := ssh.String(); s != "ingress tcp 22 from 0.0.0.0/0" {
		t.Errorf("ssh rule: %q", s)
	}
	if s := (ruleSpec{protocol: rules.ProtocolICMP}).String(); s != "ingress icmp from 0.0.0.0/0" {
		t.Errorf("icmp rule: %q", s)
	}
}

func TestSameKey(t *testing.T) {
	if !sameKey("ssh-ed25519 AAAA me@a", "ssh-ed25519 AAAA other@b\n") {
		t.Error("the comment counts")
	}
	if sameKey("ssh-ed25519 AAAA", "ssh-ed25519 BBBB") || sameKey("", "") {
		t.Error("different keys match")
	}
}

func testClouds() []NamedCloud {
	entry := func(user, pw, project string) Cloud {
		return Cloud{Auth: CloudAuth{AuthURL: "http://keystone.hotstack-os.local:5000/v3", Username: user, Password: pw,
			ProjectName: project, UserDomainName: "Default", ProjectDomainName: "Default"},
			RegionName: "RegionOne", Interface: "public", IdentityAPIVersion: 3}
	}
	return []NamedCloud{{AdminCloud, entry("admin", "adm-pw", "admin")}, {UserCloud, entry("hotstack", "hs-pw", "hotstack")}}
}

func TestMergeCloudsNew(t *testing.T) {
	for _, existing := range []string{"", "\n", "# only a comment\n"} {
		got, changed, err := MergeClouds([]byte(existing), testClouds())
		if err != nil || !changed {
			t.Fatalf("MergeClouds(%q): changed %v, %v", existing, changed, err)
		}
		want := `clouds:
  hotstack-os-admin:
    auth:
      auth_url: http://keystone.hotstack-os.local:5000/v3
      username: admin
      password: adm-pw
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
  hotstack-os:
    auth:
      auth_url: http://keystone.hotstack-os.local:5000/v3
      username: hotstack
      password: hs-pw
      project_name: hotstack
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
`
		if !strings.HasSuffix(string(got), want) {
			t.Errorf("MergeClouds(%q) =\n%s\nwant\n%s", existing, got, want)
		}
		again, changed, err := MergeClouds(got, testClouds())
		if err != nil || changed || string(again) != string(got) {
			t.Errorf("second merge: changed %v, %v", changed, err)
		}
	}
}

// Other clouds, other top-level keys and comments survive; only our two
// entries are replaced, and one already equal is not rewritten.
func TestMergeCloudsKeepsTheRest(t *testing.T) {
	existing := `# my clouds
clouds:
  # the lab
  lab:
    auth:
      auth_url: https://lab.example:5000/v3
      password: lab-secret
    region_name: Lab
  hotstack-os-admin:   # old entry
    auth:
      auth_url: http://old:5000/v3
      password: old
    identity_api_version: '3'
  zzz:
    cloud: other
ansible:
  use_hostnames: true
`
	got, changed, err := MergeClouds([]byte(existing), testClouds())
	if err != nil || !changed {
		t.Fatalf("changed %v, %v", changed, err)
	}
	var doc struct {
		Clouds  map[string]map[string]any `yaml:"clouds"`
		Ansible map[string]any            `yaml:"ansible"`
	}
	if err := yaml.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Clouds) != 4 || doc.Clouds["lab"]["region_name"] != "Lab" || doc.Clouds["zzz"]["cloud"] != "other" || doc.Ansible["use_hostnames"] != true {
		t.Errorf("other entries lost:\n%s", got)
	}
	if auth := doc.Clouds[AdminCloud]["auth"].(map[string]any); auth["password"] != "adm-pw" || doc.Clouds[AdminCloud]["identity_api_version"] != 3 {
		t.Errorf("admin entry not replaced:\n%s", got)
	}
	for _, kept := range []string{"# my clouds", "# the lab", "lab-secret", "# old entry"} {
		if !strings.Contains(string(got), kept) {
			t.Errorf("lost %q:\n%s", kept, got)
		}
	}
	// The order of the clouds is kept; ours is where it was.
	if i, j, k := strings.Index(string(got), "lab:"), strings.Index(string(got), "hotstack-os-admin:"), strings.Index(string(got), "zzz:"); !(i < j && j < k) {
		t.Errorf("order changed:\n%s", got)
	}
	if _, changed, _ := MergeClouds(got, testClouds()); changed {
		t.Error("a merged file changes again")
	}
	// Our entries already right, in another layout: nothing to write.
	reindented := strings.ReplaceAll(string(got), "  ", "    ")
	if out, changed, err := MergeClouds([]byte(reindented), testClouds()); err != nil || changed || string(out) != reindented {
		t.Errorf("a reindented equal file: changed %v, %v", changed, err)
	}
}

func TestMergeCloudsNullAndErrors(t *testing.T) {
	got, changed, err := MergeClouds([]byte("clouds:\n"), testClouds())
	if err != nil || !changed || !strings.Contains(string(got), "  hotstack-os:\n") {
		t.Errorf("clouds: null: %v, %v\n%s", changed, err, got)
	}
	for existing, want := range map[string]string{
		"clouds: [a, b]\n":        "clouds is not a mapping",
		"- a\n- b\n":              "top level is not a mapping",
		"clouds:\n  a: [\n":       "line",
		"clouds: {\n\tbad: tab\n": "",
	} {
		_, _, err := MergeClouds([]byte(existing), testClouds())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("MergeClouds(%q) error %v, want %q", existing, err, want)
		}
	}
}

func TestCloudSecretYAML(t *testing.T) {
	s := CloudSecret{AuthURL: "http://keystone.hotstack-os.local:5000/v3", ApplicationCredentialID: "abc123",
		ApplicationCredentialSecret: "s3cr3t", RegionName: "RegionOne", Interface: "internal",
		IdentityAPIVersion: 3, AuthType: "v3applicationcredential"}
	want := `hotstack_cloud_secrets:
  auth_url: http://keystone.hotstack-os.local:5000/v3
  application_credential_id: abc123
  application_credential_secret: s3cr3t
  region_name: RegionOne
  interface: internal
  identity_api_version: 3
  auth_type: v3applicationcredential
`
	got := CloudSecretYAML(s)
	if string(got) != want {
		t.Errorf("CloudSecretYAML =\n%s\nwant\n%s", got, want)
	}
	back, err := ParseCloudSecret(got)
	if err != nil || *back != s {
		t.Errorf("ParseCloudSecret = %+v, %v", back, err)
	}
	for _, bad := range []string{"", "hotstack_cloud_secrets: 3\n", "other: {}\n", "{{{"} {
		if _, err := ParseCloudSecret([]byte(bad)); err == nil {
			t.Errorf("ParseCloudSecret(%q) accepted", bad)
		}
	}
}

func TestPostSetupSummary(t *testing.T) {
	r := &PostSetupReport{Changes: []Change{{Outcome: Created}, {Outcome: Exists}, {Outcome: Exists}}}
	if s := r.Summary(); s != "1 created, 2 unchanged" {
		t.Errorf("Summary = %q", s)
	}
	r.Changes = append(r.Changes, Change{Outcome: Updated}, Change{Outcome: Skipped})
	if s := r.Summary(); s != "1 created, 1 updated, 2 unchanged, 1 skipped" {
		t.Errorf("Summary = %q", s)
	}
	if l := (Change{Outcome: Updated, Resource: "network public", Detail: "made shared"}).String(); l != "updated  network public: made shared" {
		t.Errorf("line %q", l)
	}
}
