package app

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// fakeMariaDB stands in for the MariaDB container: mariadb-dump writes
// dump, mariadb reads what it is given; each client's stdin is kept.
type fakeMariaDB struct {
	mu    sync.Mutex
	dump  string
	down  bool              // the container does not run
	stdin map[string]string // by client: mariadb-dump, mariadb
}

func (m *fakeMariaDB) handler(h *harness) func(context.Context, execx.Command) (execx.Result, error) {
	m.stdin = map[string]string{}
	return func(ctx context.Context, c execx.Command) (execx.Result, error) {
		switch {
		case c.Name == "cp":
			return execx.System{}.Run(ctx, c) // the data trees, for real
		case c.Name == "podman" && slices.Contains(c.Args, "hotstack-os-ovn-northd") && slices.Contains(c.Args, "backup"):
			_, err := io.WriteString(c.Stdout, "OVSDB JSON snapshot\n")
			return execx.Result{}, err
		case c.Name == "podman" && slices.Contains(c.Args, "hotstack-os-ovn-northd") && strings.Contains(strings.Join(c.Args, " "), "ovsdb-client --force restore"):
			in, err := io.ReadAll(c.Stdin)
			m.mu.Lock()
			m.stdin["ovsdb-client restore"] = string(in)
			m.mu.Unlock()
			return execx.Result{}, err
		}
		if c.Name != "podman" || !slices.Equal(c.Args[:3], []string{"exec", "-i", "hotstack-os-mariadb"}) {
			return h.podman(ctx, c)
		}
		if m.down {
			return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 125, Stderr: "Error: no container with name or ID \"hotstack-os-mariadb\" found", Err: errors.New("exit status 125")}
		}
		client := c.Args[7] // exec -i NAME sh -c SCRIPT sh CLIENT
		in, err := io.ReadAll(c.Stdin)
		if err != nil {
			return execx.Result{}, err
		}
		m.mu.Lock()
		m.stdin[client] = string(in)
		m.mu.Unlock()
		if client == "mariadb-dump" {
			_, err = io.WriteString(c.Stdout, m.dump)
		}
		return execx.Result{}, err
	}
}

// withKeys gives the installed stack keystone keys.
func withKeys(t *testing.T, h *harness) {
	t.Helper()
	for name, content := range map[string]string{"keystone/fernet-keys/0": "fernet zero", "keystone/fernet-keys/1": "fernet one",
		"keystone/credential-keys/0": "credential zero", "nova/compute_id": "0f3c1a4e-compute-node"} {
		p := filepath.Join(h.o.Root, "var/lib/hotstack-os", name)
		writeFile(t, p, content)
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// onlyBackup returns the one directory under the backup directory.
func onlyBackup(t *testing.T, h *harness) string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(h.o.Root, h.o.BackupDir, "*"))
	if err != nil || len(dirs) != 1 {
		t.Fatalf("backups: %v %v", dirs, err)
	}
	return dirs[0]
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBackupDumpsAndCopiesTheKeysIntoARootOnlyDirectory(t *testing.T) {
	staging(t)
	h := installedWithData(t)
	withKeys(t, h)
	db := &fakeMariaDB{dump: "-- MariaDB dump\nCREATE DATABASE keystone;\n"}
	h.runner.Handler = db.handler(h)
	if err := h.app.Backup(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, h.logs.String())
	}
	dir := onlyBackup(t, h)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("backup directory %s: %v %v, want 0700", dir, fi.Mode(), err)
	}
	if got := readString(t, filepath.Join(dir, "mariadb.sql")); got != db.dump {
		t.Errorf("dump: %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "mariadb.sql")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("dump mode: %v %v", fi.Mode(), err)
	}
	for _, f := range []string{"etc/hotstack-os/secrets.env", "etc/hotstack-os/fingerprint.key", "etc/hotstack-os/hotstack-os.env",
		"var/lib/hotstack-os/keystone/fernet-keys/0", "var/lib/hotstack-os/keystone/fernet-keys/1", "var/lib/hotstack-os/keystone/credential-keys/0",
		"var/lib/hotstack-os/nova/compute_id"} {
		orig, copied := filepath.Join(h.o.Root, f), filepath.Join(dir, "files", f)
		if readString(t, copied) != readString(t, orig) {
			t.Errorf("%s: the copy differs", f)
		}
		ofi, _ := os.Stat(orig)
		if cfi, err := os.Stat(copied); err != nil || cfi.Mode() != ofi.Mode() {
			t.Errorf("%s: mode %v, want %v (%v)", f, cfi.Mode(), ofi.Mode(), err)
		}
	}
	// The password reaches the container on stdin only.
	if db.stdin["mariadb-dump"] != "R00t-unique\n" {
		t.Errorf("mariadb-dump's stdin: %q", db.stdin["mariadb-dump"])
	}
	for _, c := range h.runner.Calls() {
		if strings.Contains(c, "R00t-unique") {
			t.Errorf("a command line holds the password: %s", c)
		}
		if strings.Contains(c, "mariadb-dump") && (!strings.Contains(c, "--all-databases") || !strings.Contains(c, "--single-transaction")) {
			t.Errorf("the dump: %s", c)
		}
	}
	if !strings.Contains(h.logs.String(), "mage restore "+dir) {
		t.Errorf("backup did not say how to restore:\n%s", h.logs.String())
	}
}

func TestBackupFailureLeavesNoDirectory(t *testing.T) {
	staging(t)
	h := installedWithData(t)
	db := &fakeMariaDB{down: true}
	h.runner.Handler = db.handler(h)
	err := h.app.Backup(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the stack must be up") {
		t.Fatalf("backup with MariaDB down: %v", err)
	}
	if entries, err := os.ReadDir(filepath.Join(h.o.Root, h.o.BackupDir)); err != nil || len(entries) != 0 {
		t.Fatalf("a failed backup left %v (%v)", entries, err)
	}

	// Inside the data, a purge would delete the backups.
	h.o.BackupDir = "/var/lib/hotstack-os/backups"
	h.rebuild()
	if err := h.app.Backup(context.Background()); err == nil || !strings.Contains(err.Error(), "HOTSTACK_BACKUP_DIR=/var/lib/hotstack-os/backups is inside /var/lib/hotstack-os") {
		t.Fatalf("a backup directory in the data: %v", err)
	}
}

func TestRestorePutsTheKeysBackAndLoadsTheDump(t *testing.T) {
	staging(t)
	ctx := context.Background()
	h := installedWithData(t)
	withKeys(t, h)
	db := &fakeMariaDB{dump: "-- MariaDB dump\n"}
	h.runner.Handler = db.handler(h)
	image := filepath.Join(h.o.Root, "var/lib/hotstack-os/glance/images/0ce2")
	volume := filepath.Join(h.o.Root, "var/lib/hotstack-os/cinder-nfs/volume-7f1a")
	writeFile(t, image, "an image")
	writeFile(t, volume, "a volume")
	if err := h.app.Backup(ctx); err != nil {
		t.Fatal(err)
	}
	dir := onlyBackup(t, h)
	if got := readString(t, filepath.Join(dir, "ovnnb.db")); got != "OVSDB JSON snapshot\n" {
		t.Errorf("OVN's northbound snapshot: %q", got)
	}
	// The images and volumes go with the backup, and come back.
	for _, p := range []string{image, volume} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	keys := filepath.Join(h.o.Root, "var/lib/hotstack-os/keystone")
	writeFile(t, filepath.Join(keys, "fernet-keys/0"), "rotated since")
	writeFile(t, filepath.Join(h.o.Root, "var/lib/hotstack-os/nova/compute_id"), "a new host's node")
	// A link keystone's container could plant: replaced, never followed.
	victim := filepath.Join(t.TempDir(), "shadow")
	writeFile(t, victim, "root:x:0:0")
	if err := os.Remove(filepath.Join(keys, "credential-keys/0")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(keys, "credential-keys/0")); err != nil {
		t.Fatal(err)
	}

	if err := h.app.Restore(ctx, dir); err != nil {
		t.Fatalf("%v\n%s", err, h.logs.String())
	}
	if got := readString(t, filepath.Join(keys, "fernet-keys/0")); got != "fernet zero" {
		t.Errorf("fernet key 0: %q", got)
	}
	// The compute host's identity, which the restored databases name.
	if got := readString(t, filepath.Join(h.o.Root, "var/lib/hotstack-os/nova/compute_id")); got != "0f3c1a4e-compute-node" {
		t.Errorf("nova's compute_id: %q", got)
	}
	if fi, err := os.Lstat(filepath.Join(keys, "credential-keys/0")); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("credential key 0: %v %v", fi.Mode(), err)
	}
	if got := readString(t, victim); got != "root:x:0:0" {
		t.Errorf("restore wrote through a symlink: %q", got)
	}
	if db.stdin["mariadb"] != "R00t-unique\n-- MariaDB dump\n" {
		t.Errorf("mariadb's stdin: %q", db.stdin["mariadb"])
	}
	if readString(t, image) != "an image" || readString(t, volume) != "a volume" {
		t.Error("the image or the volume did not come back")
	}
	if db.stdin["ovsdb-client restore"] != "OVSDB JSON snapshot\n" {
		t.Errorf("OVN's northbound database was not restored: %q", db.stdin["ovsdb-client restore"])
	}
	if !strings.Contains(h.logs.String(), "restart the stack") {
		t.Errorf("restore did not say to restart:\n%s", h.logs.String())
	}

	// A backup with a file it never holds changes nothing.
	writeFile(t, filepath.Join(dir, "files/etc/passwd"), "intruder::0:0")
	writeFile(t, filepath.Join(keys, "fernet-keys/0"), "rotated again")
	db.stdin = map[string]string{}
	err := h.app.Restore(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "refusing") || !strings.Contains(err.Error(), "/etc/passwd is not a file a backup holds") {
		t.Fatalf("restore of a forged backup: %v", err)
	}
	if got := readString(t, filepath.Join(keys, "fernet-keys/0")); got != "rotated again" || len(db.stdin) != 0 {
		t.Errorf("a refused restore changed the key (%q) or loaded the dump (%v)", got, db.stdin)
	}
	if err := os.Remove(filepath.Join(dir, "files/etc/passwd")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "data/etc/shadow"), "intruder")
	if err := h.app.Restore(ctx, dir); err == nil || !strings.Contains(err.Error(), "not a tree a backup holds") || len(db.stdin) != 0 {
		t.Fatalf("restore of a backup with a forged data tree: %v (loaded %v)", err, db.stdin)
	}
	if err := h.app.Restore(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "is not a backup of `mage backup`") {
		t.Errorf("restore of an empty directory: %v", err)
	}
}

// TestPurgeOffersABackupFirst: on a terminal the purge offers the backup
// before it asks to delete; the backup stays when the answer is no.
func TestPurgeOffersABackupFirst(t *testing.T) {
	staging(t)
	h := installedWithData(t)
	before := tree(t, h.o.Root)
	db := &fakeMariaDB{dump: "-- MariaDB dump\n"}
	h.runner.Handler = db.handler(h)
	h.o.Purge, h.o.Interactive, h.o.Stdin = true, true, strings.NewReader("y\nno\n")
	h.rebuild()
	if err := h.app.Uninstall(context.Background()); !errors.Is(err, errNotConfirmed) {
		t.Fatalf("purge answered y, then no: %v", err)
	}
	if !strings.Contains(h.logs.String(), "Back up the databases and keys first (mage backup)? [y/N] ") {
		t.Errorf("no backup offered:\n%s", h.logs.String())
	}
	if got := readString(t, filepath.Join(onlyBackup(t, h), "mariadb.sql")); got != db.dump {
		t.Errorf("the backup's dump: %q", got)
	}
	after := tree(t, h.o.Root)
	for p := range after {
		if strings.HasPrefix(p, "var/backups") {
			delete(after, p)
		}
	}
	sameTree(t, "after a backup and an unconfirmed purge", before, after)
}
