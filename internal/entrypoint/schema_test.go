package entrypoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSchemaStampFollowsPackagesAndInputs(t *testing.T) {
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	write := func(s string) {
		if err := os.WriteFile(status, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Package: nova-common\nVersion: 2:26.2.2-1\n")
	stamp := func(inputs ...string) string {
		s, err := schemaStamp(status, inputs...)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := stamp("RegionOne", "http://keystone")
	if again := stamp("RegionOne", "http://keystone"); again != base {
		t.Errorf("the same image and inputs give two stamps")
	}
	for name, other := range map[string]string{
		"a changed input":          stamp("RegionTwo", "http://keystone"),
		"inputs split differently": stamp("RegionOnehttp://", "keystone"),
		"an input fewer":           stamp("RegionOne"),
	} {
		if other == base {
			t.Errorf("%s keeps the stamp", name)
		}
	}
	write("Package: nova-common\nVersion: 2:26.2.2-1+deb12u1\n")
	if stamp("RegionOne", "http://keystone") == base {
		t.Errorf("an updated package keeps the stamp")
	}
	if _, err := schemaStamp(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("a missing dpkg status gave a stamp")
	}
}

func TestOptionFilePasswordAsPyMySQLReadsIt(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ file, want string }{
		{"[client]\npassword = \"a \"b\" $c\\\"\n", `a "b" $c\`},
		{"# comment\n[mysqld]\npassword = no\n[client]\npassword='x y'\n", "x y"},
		{"[client]\npassword = plain\n", "plain"},
	} {
		path := filepath.Join(dir, "db.cnf")
		if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := optionFilePassword(path)
		if err != nil || got != c.want {
			t.Errorf("%q: got %q, %v; want %q", c.file, got, err, c.want)
		}
	}
	path := filepath.Join(dir, "empty.cnf")
	_ = os.WriteFile(path, []byte("[mysqld]\npassword = x\n"), 0o600)
	if _, err := optionFilePassword(path); err == nil || !strings.Contains(err.Error(), "no password in [client]") {
		t.Errorf("a file without [client] password: %v", err)
	}
}

func TestMySQLConfigFromOsloURL(t *testing.T) {
	dir := t.TempDir()
	cnf := filepath.Join(dir, "db.cnf")
	_ = os.WriteFile(cnf, []byte("[client]\npassword = \"s3cr%t @x\"\n"), 0o600)
	cfg, err := mysqlConfig("mysql+pymysql://openstack@172.31.0.3/nova_api?read_default_file=" + cnf)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != "openstack" || cfg.Passwd != "s3cr%t @x" || cfg.Addr != "172.31.0.3:3306" || cfg.DBName != "nova_api" {
		t.Errorf("got user %q password %q addr %q db %q", cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName)
	}
	cfg, err = mysqlConfig("mysql+pymysql://u:p%40ss@db:3307/keystone")
	if err != nil || cfg.Passwd != "p@ss" || cfg.Addr != "db:3307" {
		t.Errorf("password in the URL: %+v, %v", cfg, err)
	}
	if _, err := mysqlConfig("sqlite:///x?password=secret"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("a non-MySQL URL: %v", err)
	}
}
