package entrypoint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
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

func TestConnParamsFromOsloURL(t *testing.T) {
	dir := t.TempDir()
	cnf := filepath.Join(dir, "db.cnf")
	_ = os.WriteFile(cnf, []byte("[client]\npassword = \"s3cr%t @x\"\n"), 0o600)
	p, err := connParams("mysql+pymysql://openstack@172.31.0.3/nova_api?read_default_file=" + cnf)
	want := dbParams{Host: "172.31.0.3", Port: 3306, User: "openstack", Password: "s3cr%t @x", Database: "nova_api"}
	if err != nil || p != want {
		t.Errorf("got %+v, %v; want %+v", p, err, want)
	}
	p, err = connParams("mysql+pymysql://u:p%40ss@db:3307/keystone")
	if want := (dbParams{Host: "db", Port: 3307, User: "u", Password: "p@ss", Database: "keystone"}); err != nil || p != want {
		t.Errorf("password in the URL: got %+v, %v; want %+v", p, err, want)
	}
	p, err = connParams("mysql+pymysql://u@[fd00::3]/heat")
	if err != nil || p.Host != "fd00::3" || p.Port != 3306 {
		t.Errorf("an IPv6 host: got %+v, %v", p, err)
	}
	for _, raw := range []string{"sqlite:///x?password=secret", "mysql+pymysql://u:secret@:3306/x", "mysql+pymysql://u:secret@db:x/nova"} {
		if _, err := connParams(raw); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", raw, err)
		}
	}
	if _, err := connParams("mysql+pymysql://u@db/x?read_default_file=" + filepath.Join(dir, "missing.cnf")); err == nil {
		t.Errorf("a missing option file gave no error")
	}
}

// fakeDB is a service's database as the schema stamps see it.
type fakeDB struct {
	t      *testing.T
	stamps map[string]string // nil: no stamp table yet
	hashes map[string]string // Keystone's newest password hash per user
	// down fails every statement, as an unreachable server would.
	down     bool
	readOnly bool // writes fail
	reads    int
	execs    []string
}

var errDown = &sqlError{Number: 2003, Message: "Can't connect to MySQL server on 'db' ([Errno 111] Connection refused)"}

func (f *fakeDB) args(query string, args []string) {
	// PyMySQL binds %s, not database/sql's ?.
	if strings.Count(query, "%s") != len(args) || strings.Contains(query, "?") {
		f.t.Errorf("%q has not one %%s per argument %q", query, args)
	}
}

func (f *fakeDB) QueryRow(ctx context.Context, query string, args ...string) ([]string, error) {
	f.args(query, args)
	f.reads++
	switch {
	case f.down:
		return nil, errDown
	case strings.HasPrefix(query, "SELECT stamp FROM "+stampTable+" "):
		if f.stamps == nil {
			return nil, &sqlError{Number: erNoSuchTable, Message: "Table 'nova.hotstack_os_schema' doesn't exist"}
		}
		if s, ok := f.stamps[args[0]]; ok {
			return []string{s}, nil
		}
		return nil, nil
	case strings.Contains(query, "password_hash"):
		if h, ok := f.hashes[args[0]]; ok {
			return []string{h}, nil
		}
		return nil, nil
	}
	f.t.Errorf("unexpected query %q", query)
	return nil, errors.New("unexpected query")
}

func (f *fakeDB) Exec(ctx context.Context, query string, args ...string) error {
	f.args(query, args)
	f.execs = append(f.execs, strings.Fields(query)[0])
	switch {
	case f.down:
		return errDown
	case f.readOnly:
		return &sqlError{Number: 1142, Message: "INSERT command denied"}
	case strings.HasPrefix(query, "CREATE TABLE IF NOT EXISTS "+stampTable+" "):
		if f.stamps == nil {
			f.stamps = map[string]string{}
		}
		return nil
	case strings.HasPrefix(query, "REPLACE INTO "+stampTable+" "):
		if f.stamps == nil {
			return &sqlError{Number: erNoSuchTable, Message: "no table"}
		}
		f.stamps[args[0]] = args[1]
		return nil
	}
	f.t.Errorf("unexpected statement %q", query)
	return errors.New("unexpected statement")
}

// TestSchemaStepsFollowTheStamp: the steps run unless the database holds
// this stamp (and Still passes), and the stamp is recorded once they
// succeed; failing to read or write it only means the steps run.
func TestSchemaStepsFollowTheStamp(t *testing.T) {
	c := &Container{Service: "test"}
	ctx := context.Background()
	const stamp, other = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	ran := 0
	var stepsErr, stillErr error
	s := Schema{Name: "nova", Steps: func(context.Context) error { ran++; return stepsErr }}
	run := func(db *fakeDB, stamp string) error {
		t.Helper()
		ran = 0
		return c.stampedSteps(ctx, s, db, stamp)
	}

	db := &fakeDB{t: t} // a fresh database: no table
	if err := run(db, stamp); err != nil || ran != 1 || db.stamps["nova"] != stamp {
		t.Fatalf("a fresh database: %v, ran %d, stamps %v", err, ran, db.stamps)
	}
	if err := run(db, stamp); err != nil || ran != 0 {
		t.Errorf("the same stamp: %v, ran %d", err, ran)
	}
	db.stamps = map[string]string{"glance": stamp} // the table, no row
	if err := run(db, stamp); err != nil || ran != 1 || db.stamps["nova"] != stamp {
		t.Errorf("no row: %v, ran %d, stamps %v", err, ran, db.stamps)
	}
	if err := run(db, other); err != nil || ran != 1 || db.stamps["nova"] != other {
		t.Errorf("a changed stamp: %v, ran %d, stamps %v", err, ran, db.stamps)
	}

	s.Still = func(_ context.Context, got database) error {
		if got != db {
			t.Errorf("Still got another database")
		}
		return stillErr
	}
	if err := run(db, other); err != nil || ran != 0 {
		t.Errorf("Still passes: %v, ran %d", err, ran)
	}
	stillErr = errors.New("a key directory is empty")
	if err := run(db, other); err != nil || ran != 1 {
		t.Errorf("Still fails: %v, ran %d", err, ran)
	}
	stillErr = nil

	stepsErr = errors.New("db sync failed")
	if err := run(db, stamp); !errors.Is(err, stepsErr) || ran != 1 || db.stamps["nova"] != other {
		t.Errorf("failing steps: %v, ran %d, stamps %v (the stamp must stay)", err, ran, db.stamps)
	}
	stepsErr = nil

	down := &fakeDB{t: t, down: true}
	if err := run(down, stamp); err != nil || ran != 1 || len(down.execs) == 0 {
		t.Errorf("an unreachable database: %v, ran %d, tried to record %v", err, ran, down.execs)
	}
	readOnly := &fakeDB{t: t, readOnly: true, stamps: map[string]string{}}
	if err := run(readOnly, stamp); err != nil || ran != 1 {
		t.Errorf("a stamp that cannot be written: %v, ran %d", err, ran)
	}
}

func TestPasswordCurrentChecksKeystonesNewestHash(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cr3t-right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	db := &fakeDB{t: t, hashes: map[string]string{"admin": string(hash), "old": "$pbkdf2-sha512$x"}}
	ctx := context.Background()
	if err := passwordCurrent(ctx, db, "admin", "s3cr3t-right"); err != nil {
		t.Errorf("the current password: %v", err)
	}
	for user, password := range map[string]string{"admin": "s3cr3t-wrong", "old": "s3cr3t-right", "nobody": "s3cr3t-right"} {
		if err := passwordCurrent(ctx, db, user, password); err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s with %q: %v (want an error that names no password)", user, password, err)
		}
	}
	if err := passwordCurrent(ctx, &fakeDB{t: t, down: true}, "admin", "s3cr3t-right"); !errors.Is(err, errDown) {
		t.Errorf("an unreachable database: %v", err)
	}
}
