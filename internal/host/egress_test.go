package host

import (
	"net/netip"
	"strings"
	"testing"
)

func TestUpstreamsDropDnsmasqsOwnAddresses(t *testing.T) {
	in := "# a comment\nsearch example.org\nnameserver 127.0.0.1\nnameserver 127.0.0.53\n" +
		"nameserver 172.31.0.129\nnameserver 10.0.0.2 # trailing\nnameserver bogus\nnameserver 0.0.0.0\noptions edns0\n"
	got := string(Upstreams([]byte(in), "127.0.0.1", "172.31.0.129"))
	want := "nameserver 127.0.0.53\nnameserver 10.0.0.2\n"
	if !strings.HasSuffix(got, want) || strings.Count(got, "nameserver") != 2 {
		t.Errorf("Upstreams:\n%s\nwant the lines\n%s", got, want)
	}
}

func testFirewall() Firewall {
	return Firewall{Provider: netip.MustParsePrefix("172.31.0.128/25"), Container: netip.MustParsePrefix("172.31.0.0/25"),
		Brex: netip.MustParseAddr("172.31.0.129"), Published: PublishedPorts(), ServiceUIDs: serviceUIDs()}
}

func TestNATRulesMasqueradeOnlyTheProviderNetworkLeavingTheHost(t *testing.T) {
	script, hash := natRules(testFirewall())
	for _, want := range []string{
		"table ip hotstack-os\ndelete table ip hotstack-os\n", // replaced in one transaction
		`ip saddr 172.31.0.128/25 oifname != "hot-ex" masquerade`,
		`comment "hotstack-os ` + hash + `"`,
		"tcp dport { 5000, 6080, 8004, 8774, 8776, 8778, 9292, 9696 } accept",
		"meta skuid { 0, 42407, 42415,",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	other := testFirewall()
	other.Provider = netip.MustParsePrefix("10.9.0.0/24")
	if _, h := natRules(other); h == hash {
		t.Error("another provider network gives the same hash: a changed PROVIDER_NETWORK would not be applied")
	}
}

// TestNovaMountPointIsNovas: the hash nova-compute logged for the default
// share ("Cannot access storage file .../nova-mnt/7fbc33cb.../volume-...").
func TestNovaMountPointIsNovas(t *testing.T) {
	got := NovaMountPoint("/var/lib/hotstack-os/nova-mnt", NFSShare("/var/lib/hotstack-os/cinder-nfs"))
	if want := "/var/lib/hotstack-os/nova-mnt/7fbc33cb87948a19fbc8ef4f586cf8d1"; got != want {
		t.Errorf("NovaMountPoint = %s, want %s", got, want)
	}
}

func TestMountinfoHasUnescapesTargets(t *testing.T) {
	info := "36 35 98:0 /mnt1 /mnt\\040with\\040space rw - ext3 /dev/root rw\n37 35 98:0 / /var/lib/x rw - ext3 /dev/root rw\n"
	if !mountinfoHas([]byte(info), "/mnt with space") || !mountinfoHas([]byte(info), "/var/lib/x") || mountinfoHas([]byte(info), "/var/lib") {
		t.Error("mountinfoHas misreads the targets")
	}
}
