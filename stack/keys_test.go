package stack

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
)

// parseDefaults loads the schema's built-in defaults (its .env.example).
func parseDefaults(t *testing.T, schema config.Schema) *config.Config {
	t.Helper()
	cfg, err := config.Parse(config.DefaultsName, config.Example(schema), schema,
		config.Options{Hostname: func() (string, error) { return "test", nil }, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// keyNames are the names of the schema's keys that match.
func keyNames(schema config.Schema, match func(config.Key) bool) []string {
	var out []string
	for _, k := range schema {
		if match(k) {
			out = append(out, k.Name)
		}
	}
	return out
}

// The records' keys in the schema: every address, in the order of the
// address plan, and the secrets generated for a new install, each
// project's in the order of its services' addresses.
func TestServiceKeysInSchema(t *testing.T) {
	schema := testStack(t).Schema()
	addresses := keyNames(schema, func(k config.Key) bool { return k.Kind == config.ServiceIP })
	want := []string{"MARIADB_IP", "RABBITMQ_IP", "MEMCACHED_IP", "KEYSTONE_IP", "GLANCE_IP", "PLACEMENT_IP",
		"NOVA_API_IP", "NOVA_CONDUCTOR_IP", "NOVA_SCHEDULER_IP", "NOVA_COMPUTE_IP", "NOVA_NOVNCPROXY_IP", "OVN_NORTHD_IP",
		"NEUTRON_SERVER_IP", "CINDER_API_IP", "CINDER_SCHEDULER_IP", "CINDER_VOLUME_IP", "HEAT_API_IP", "HEAT_ENGINE_IP"}
	if !slices.Equal(addresses, want) {
		t.Errorf("addresses %v\nwant %v", addresses, want)
	}
	generated := parseDefaults(t, schema).NewSecrets()
	want = []string{"KEYSTONE_ADMIN_PASSWORD", "MYSQL_ROOT_PASSWORD", "KEYSTONE_DB_PASSWORD", "GLANCE_DB_PASSWORD",
		"PLACEMENT_DB_PASSWORD", "NOVA_DB_PASSWORD", "NEUTRON_DB_PASSWORD", "CINDER_DB_PASSWORD", "HEAT_DB_PASSWORD",
		"GLANCE_SERVICE_PASSWORD", "PLACEMENT_SERVICE_PASSWORD", "NOVA_SERVICE_PASSWORD", "NEUTRON_SERVICE_PASSWORD",
		"CINDER_SERVICE_PASSWORD", "HEAT_SERVICE_PASSWORD", "METADATA_SECRET", "MEMCACHE_SECRET_KEY", "RABBITMQ_DEFAULT_PASS"}
	if !slices.Equal(generated, want) {
		t.Errorf("generated %v\nwant %v", generated, want)
	}
}

// barbican is a service the stack does not have, in one record: an API
// with an address and a project of its own, whose user has two databases.
func barbican() Service {
	return Service{Name: "barbican-api", Layer: 8, Description: "HotStack-OS Barbican API Service", DependsOn: infraDeps(),
		Container: Container{Image: "localhost/hotstack-os-barbican", Hostname: "barbican", Network: defaultNetwork,
			IPKey: "BARBICAN_API_IP", Address: Address{IP: "172.31.0.61", Doc: "Barbican API."}, Env: apiEnv("barbican", true)},
		Accounts: &Accounts{Project: "barbican", Databases: []string{"barbican", "barbican_keys"}, ServiceUser: true}}
}

// Adding a service touches one record: from it alone the new service gets
// its address and passwords in the .env, MariaDB its database password,
// and init-db.sh (through MariaDB's DATABASE_USERS) its user and databases.
func TestOneRecordAddsAService(t *testing.T) {
	st, err := New(complete(append(records(), barbican())))
	if err != nil {
		t.Fatal(err)
	}
	schema := st.Schema()
	for _, want := range []struct{ key, after, doc string }{
		{"BARBICAN_API_IP", "HEAT_ENGINE_IP", "Barbican API."},
		{"BARBICAN_DB_PASSWORD", "HEAT_DB_PASSWORD", "Password of the MariaDB user barbican, which may use only the databases barbican and barbican_keys."},
		{"BARBICAN_SERVICE_PASSWORD", "HEAT_SERVICE_PASSWORD", "Password of the Keystone service user barbican."},
	} {
		i := slices.IndexFunc(schema, func(k config.Key) bool { return k.Name == want.key })
		if i < 1 || schema[i-1].Name != want.after || schema[i].Doc != want.doc {
			t.Errorf("%s: at %d in the schema, want it after %s, documented %q", want.key, i, want.after, want.doc)
		}
	}
	cfg := parseDefaults(t, schema)
	if cfg.Get("BARBICAN_API_IP") != "172.31.0.61" {
		t.Errorf("BARBICAN_API_IP = %q", cfg.Get("BARBICAN_API_IP"))
	}
	generated := cfg.GeneratedSecrets()
	for _, k := range []string{"BARBICAN_DB_PASSWORD", "BARBICAN_SERVICE_PASSWORD"} {
		if _, ok := generated[k]; !ok {
			t.Errorf("%s not generated: %v", k, slices.Sorted(maps.Keys(generated)))
		}
	}
	for _, e := range st.Get("barbican-api").Container.Env {
		if _, err := cfg.Expand(e.Value); err != nil {
			t.Errorf("barbican-api's %s: %v", e.Name, err)
		}
	}
	var mariadb []string
	for _, e := range st.Get("mariadb").Container.Env {
		mariadb = append(mariadb, e.Name)
	}
	if i := slices.Index(mariadb, "BARBICAN_DB_PASSWORD"); i < 0 || mariadb[i-1] != "HEAT_DB_PASSWORD" || mariadb[i+1] != DatabaseUsersVar {
		t.Errorf("MariaDB's environment %v lacks BARBICAN_DB_PASSWORD after the others", mariadb)
	}
	for _, e := range st.Get("mariadb").Container.Env {
		if e.Name == DatabaseUsersVar && !strings.HasSuffix(e.Value, ",heat:heat,barbican:barbican+barbican_keys") {
			t.Errorf("init-db.sh's users and databases: %s=%s", e.Name, e.Value)
		}
	}
}

// A record's keys are checked when the stack is made, each problem naming
// its service.
func TestKeyProblems(t *testing.T) {
	svc := func(name string, c Container, a *Accounts) Service {
		return Service{Name: name, Layer: 1, Container: c, Accounts: a}
	}
	addr := Address{IP: "172.31.0.61", Doc: "A."}
	cases := []struct {
		name     string
		services []Service
		want     string
	}{
		{"no default", []Service{svc("a", Container{IPKey: "A_IP"}, nil)}, "a: address key A_IP has no default (Container.Address.IP)"},
		{"no key", []Service{svc("a", Container{Address: addr}, nil)}, "a: address 172.31.0.61 has no key"},
		{"both", []Service{svc("a", Container{IPKey: "A_IP", Address: Address{IP: "172.31.0.61", ReservedKey: "B_IP"}}, nil)},
			"a: an address (IPKey A_IP) and a reserved one (B_IP)"},
		{"address twice", []Service{svc("a", Container{IPKey: "A_IP", Address: addr}, nil), svc("b", Container{IPKey: "A_IP", Address: addr}, nil)},
			"b: .env key A_IP is a's already"},
		{"project twice", []Service{svc("a", Container{}, &Accounts{Project: "p", Databases: []string{"p"}}),
			svc("b", Container{}, &Accounts{Project: "p", ServiceUser: true})}, "b: project p's accounts are a's already"},
		{"undeclared password", []Service{svc("a", Container{Env: apiEnv("ghost", false)}, nil)},
			"a: GHOST_DB_PASSWORD names a password no service's Accounts declare"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.services)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
