package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testOpts see a file system holding / alone: path keys are checked
// against the real one only where a test asks (pathsafety_test.go).
var testOpts = Options{Hostname: func() (string, error) { return "testhost", nil }, Environ: func() []string { return nil },
	LookupPath: fakeFS{}.lookup}

func TestDefaultsLoad(t *testing.T) {
	c, used, err := LoadOrDefaults(filepath.Join(t.TempDir(), "missing.env"), BaseKeys(), testOpts)
	if err != nil || !used {
		t.Fatalf("used=%v err=%v", used, err)
	}
	if got := c.Get("NOVA_INSTANCES_PATH"); got != "/var/lib/hotstack-os/nova-instances" {
		t.Errorf("NOVA_INSTANCES_PATH = %q", got)
	}
	if c.Get("CHASSIS_HOSTNAME") != "testhost" || c.Get("GLOBAL_PHYSNET_MTU") != "1500" {
		t.Errorf("defaults wrong: %q %q", c.Get("CHASSIS_HOSTNAME"), c.Get("GLOBAL_PHYSNET_MTU"))
	}
}

func TestReferencesAndQuotes(t *testing.T) {
	env := "HOTSTACK_DATA_DIR=/srv/hs\nNOVA_INSTANCES_PATH=${HOTSTACK_DATA_DIR}/inst\n" +
		"DB_PASSWORD='p@ss w%rd$HOME\"'\\;#'\nSERVICE_PASSWORD=\"${HOTSTACK_DATA_DIR}\"\nMYSQL_ROOT_PASSWORD='${HOTSTACK_DATA_DIR}'\n"
	c, err := Parse(".env", []byte(env), BaseKeys(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"NOVA_INSTANCES_PATH":   "/srv/hs/inst",
		"CINDER_NFS_EXPORT_DIR": "/srv/hs/cinder-nfs",
		"DB_PASSWORD":           `p@ss w%rd$HOME"'\;#`,
		"SERVICE_PASSWORD":      "/srv/hs",
		"MYSQL_ROOT_PASSWORD":   "${HOTSTACK_DATA_DIR}",
	} {
		if got := c.Get(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, env, want string
	}{
		{"bad ip", "MARIADB_IP=172.31.0.300\n", ".env:1: MARIADB_IP: \"172.31.0.300\" is not an IPv4 address"},
		{"brex outside provider", "BREX_IP=10.0.0.1\n", ".env:1: BREX_IP: 10.0.0.1 is not inside PROVIDER_NETWORK"},
		{"service ip outside", "KEYSTONE_IP=172.31.0.200\n", ".env:1: KEYSTONE_IP: 172.31.0.200 is not inside CONTAINER_NETWORK"},
		{"gateway", "KEYSTONE_IP=172.31.0.1\n", ".env:1: KEYSTONE_IP: 172.31.0.1 is the gateway address"},
		{"network addr", "KEYSTONE_IP=172.31.0.0\n", "is the network address"},
		{"broadcast", "KEYSTONE_IP=172.31.0.127\n", "is the broadcast address"},
		{"dynamic range", "KEYSTONE_IP=172.31.0.100\n", ".env:1: KEYSTONE_IP: 172.31.0.100 is inside 172.31.0.96/27, the top quarter of CONTAINER_NETWORK"},
		{"duplicate", "# c\nGLANCE_IP=172.31.0.11\n", ".env:2: GLANCE_IP: 172.31.0.11 is already used by KEYSTONE_IP"},
		{"duplicate blames the written key", "MARIADB_IP=172.31.0.11\n", ".env:1: MARIADB_IP: 172.31.0.11 is already used by KEYSTONE_IP (its default)"},
		{"overlap", "PROVIDER_NETWORK=172.31.0.0/24\nBREX_IP=172.31.0.200\n", ".env:1: PROVIDER_NETWORK: 172.31.0.0/24 overlaps CONTAINER_NETWORK"},
		{"mtu low", "GLOBAL_PHYSNET_MTU=1000\n", ".env:1: GLOBAL_PHYSNET_MTU: 1000 is outside 1280..9216"},
		{"mtu text", "GLOBAL_PHYSNET_MTU=big\n", "is not a whole number"},
		{"relative path", "HOTSTACK_DATA_DIR=data\n", ".env:1: HOTSTACK_DATA_DIR: \"data\" is not an absolute path"},
		{"published password", "KEYSTONE_ADMIN_PASSWORD=admin\n", `.env:1: KEYSTONE_ADMIN_PASSWORD: "admin" is a published password`},
		{"CR", "DB_PASSWORD=x\ry\n", ".env:1: DB_PASSWORD: value holds a carriage return"},
		{"NUL", "DB_PASSWORD=x\x00y\n", ".env:1: DB_PASSWORD: value holds a NUL byte"},
		{"unknown with hint", "KEYSTONE_IPP=1.2.3.4\n", ".env:1: KEYSTONE_IPP: unknown key (did you mean KEYSTONE_IP?)"},
		{"lowercase key", "keystone_admin_password=x\n", ".env:1: keystone_admin_password: unknown key (did you mean KEYSTONE_ADMIN_PASSWORD?)"},
		{"unknown ref", "HOTSTACK_DATA_DIR=${NOPE}/x\n", ".env:1: HOTSTACK_DATA_DIR: references unknown key ${NOPE}"},
		{"cycle", "HOTSTACK_DATA_DIR=${NOVA_INSTANCES_PATH}\n", "cycle"},
		{"syntax", "just words\n", ".env:1: expected KEY=VALUE"},
		{"unclosed quote", "DB_PASSWORD=\"abc\n", `.env:1: DB_PASSWORD: opening " has no closing "`},
		{"bool", "DEBUG_LOGGING=yes\n", ".env:1: DEBUG_LOGGING: \"yes\" must be true or false"},
		{"datapath", "OVS_DATAPATH_TYPE=dpdk\n", "must be one of auto, system, netdev"},
		{"vlan syntax", "NEUTRON_VLAN_RANGES=100-200\n", `.env:1: NEUTRON_VLAN_RANGES: "100-200": "100-200" is not provider:MIN:MAX`},
		{"vlan physnet", "NEUTRON_VLAN_RANGES=physnet1:100:200\n", `names physical network "physnet1"`},
		{"vlan order", "NEUTRON_VLAN_RANGES=provider:300:200\n", "starts after it ends"},
		{"vlan id", "NEUTRON_VLAN_RANGES=provider:100:200,provider:4000:4095\n", "VLAN IDs are 1..4094"},
		{"path mtu", "PATH_MTU=1000\n", "PATH_MTU: 1000 is below 1280"},
		{"image source", "HOTSTACK_CIRROS_URL=ftp://example.org/c.img\n", `.env:1: HOTSTACK_CIRROS_URL: "ftp://example.org/c.img": not an http(s) URL`},
		{"image file url", "HOTSTACK_CIRROS_URL=file://relative/c.img\n", "a file:// URL needs an absolute path"},
		{"host bits", "CONTAINER_NETWORK=172.31.0.5/25\n", "has host bits set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(".env", []byte(tc.env), testKeys(), testOpts)
			var ve ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want ValidationError, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestAllErrorsReportedAtOnce(t *testing.T) {
	_, err := Parse(".env", []byte("MARIADB_IP=x\nMYSQL_ROOT_PASSWORD=rootpass\n"), testKeys(), testOpts)
	var ve ValidationError
	if !errors.As(err, &ve) || len(ve) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
}

func TestShadowedProcessEnvironment(t *testing.T) {
	opt := testOpts
	opt.Environ = func() []string { return []string{"REGION_NAME=Other", "BREX_IP=172.31.0.129"} }
	c, err := Parse(".env", []byte("REGION_NAME=RegionOne\n"), BaseKeys(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if c.Get("REGION_NAME") != "RegionOne" || len(c.Shadowed) != 1 || c.Shadowed[0] != "REGION_NAME" {
		t.Fatalf("file must win and the shadowing be reported: %q %v", c.Get("REGION_NAME"), c.Shadowed)
	}
}

func TestExampleMatchesRepository(t *testing.T) {
	// The root .env.example is generated from the stack schema (the stack
	// package checks it byte for byte); here: every base key is in the
	// repository's file, commented out or set.
	data, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range BaseKeys() {
		if !strings.Contains(string(data), "\n"+k.Name+"=") && !strings.Contains(string(data), "\n# "+k.Name+"=") {
			t.Errorf("%s missing from ../.env.example", k.Name)
		}
	}
}
