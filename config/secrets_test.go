package config

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// Without a .env every secret is generated: distinct values, none of them
// published, and the same ones again when the stored values are given back.
func TestSecretsGeneratedOnceAndKept(t *testing.T) {
	c, err := Parse(DefaultsName, Example(testKeys()), testKeys(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	gen := c.GeneratedSecrets()
	want := []string{"KEYSTONE_ADMIN_PASSWORD", "MYSQL_ROOT_PASSWORD", "METADATA_SECRET", "MEMCACHE_SECRET_KEY", "RABBITMQ_DEFAULT_PASS",
		"GLANCE_DB_PASSWORD", "NOVA_DB_PASSWORD", "GLANCE_SERVICE_PASSWORD", "HEAT_SERVICE_PASSWORD"}
	if got := slices.Sorted(maps.Keys(gen)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("generated %v\nwant %v", got, want)
	}
	if !slices.Equal(c.NewSecrets(), want) {
		t.Fatalf("new secrets %v", c.NewSecrets())
	}
	seen := map[string]string{}
	for k, v := range gen {
		if len(v) < 20 || strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Errorf("%s = %q: not a 26-letter random text", k, v)
		}
		if other, dup := seen[v]; dup {
			t.Errorf("%s and %s share a value", k, other)
		}
		seen[v] = k
		if c.Get(k) != v {
			t.Errorf("%s: Get %q, generated %q", k, c.Get(k), v)
		}
	}
	if got := c.Get("DB_PASSWORD") + c.Get("SERVICE_PASSWORD"); got != "" {
		t.Errorf("the shared passwords are set: %q", got)
	}

	opts := testOpts
	opts.StoredSecrets = gen
	again, err := Parse(DefaultsName, Example(testKeys()), testKeys(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(again.GeneratedSecrets(), gen) || len(again.NewSecrets()) != 0 {
		t.Fatalf("a second load with the stored values changed them: new %v", again.NewSecrets())
	}
}

// A value in the file wins over a stored one and is not generated; an
// older .env's DB_PASSWORD and SERVICE_PASSWORD still serve every service
// that has no password of its own.
func TestSecretsFromTheFile(t *testing.T) {
	opts := testOpts
	opts.StoredSecrets = map[string]string{"KEYSTONE_ADMIN_PASSWORD": "stored-admin", "GLANCE_DB_PASSWORD": "stored-glance"}
	c, err := Parse(".env", []byte("KEYSTONE_ADMIN_PASSWORD=mine-admin\nDB_PASSWORD=shared-db\nNOVA_DB_PASSWORD=own-nova\nSERVICE_PASSWORD=shared-svc\n"), testKeys(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"KEYSTONE_ADMIN_PASSWORD": "mine-admin", "GLANCE_DB_PASSWORD": "shared-db",
		"NOVA_DB_PASSWORD": "own-nova", "HEAT_SERVICE_PASSWORD": "shared-svc"} {
		if got := c.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	gen := c.GeneratedSecrets()
	for _, k := range []string{"KEYSTONE_ADMIN_PASSWORD", "GLANCE_DB_PASSWORD", "NOVA_DB_PASSWORD", "HEAT_SERVICE_PASSWORD"} {
		if _, ok := gen[k]; ok {
			t.Errorf("%s was generated although the file sets it", k)
		}
	}
	if _, ok := gen["METADATA_SECRET"]; !ok {
		t.Error("METADATA_SECRET, unset, was not generated")
	}
}

// A published password is refused on the line that sets it, also when it
// reaches other keys by reference, unless the operator opts in.
func TestPublishedPasswordsRefused(t *testing.T) {
	_, err := Parse(".env", []byte("REGION_NAME=r\nDB_PASSWORD=openstack\nRABBITMQ_DEFAULT_PASS=openstack\n"), testKeys(), testOpts)
	if err == nil {
		t.Fatal("published passwords accepted")
	}
	for _, want := range []string{
		`.env:2: DB_PASSWORD: "openstack" is a published password, which anyone may try; delete the line to have one generated and kept, set your own, or set ALLOW_PUBLISHED_PASSWORDS=true for a throwaway cloud`,
		`.env:3: RABBITMQ_DEFAULT_PASS: "openstack" is a published password`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not contain %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "published"); n != 2 {
		t.Errorf("%d problems, want 2 (the inheriting keys are covered by DB_PASSWORD's):\n%v", n, err)
	}
	if _, err := Parse(".env", []byte("ALLOW_PUBLISHED_PASSWORDS=true\nDB_PASSWORD=openstack\n"), testKeys(), testOpts); err != nil {
		t.Fatalf("opted in, still refused: %v", err)
	}
}

// The helper reads the installed, secret-free config: nothing is generated.
func TestNoSecretsGeneratedForTheInstalledConfig(t *testing.T) {
	opts := testOpts
	opts.AllowEmptySecrets = true
	c, err := Parse(".env", []byte("REGION_NAME=r\n"), testKeys(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.GeneratedSecrets() != nil || c.Get("KEYSTONE_ADMIN_PASSWORD") != "" {
		t.Fatalf("generated: %v", c.GeneratedSecrets())
	}
}
