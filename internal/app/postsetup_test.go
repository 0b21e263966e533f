package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/internal/openstack"
)

// The password is generated once, kept root-only, and read back after.
func TestKeptPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc/hotstack-os", userPasswordFile)
	pw, c, err := keptPassword(path)
	if err != nil || len(pw) != 40 || c.Outcome != openstack.Created || c.Resource != "file "+path {
		t.Fatalf("first: %q %+v %v", pw, c, err)
	}
	if strings.Contains(c.String(), pw) {
		t.Errorf("the line shows the password: %s", c)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi.Mode(), err)
	}
	again, c, err := keptPassword(path)
	if err != nil || again != pw || c.Outcome != openstack.Exists {
		t.Fatalf("second: %q %+v %v", again, c, err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if again, c, err := keptPassword(path); err != nil || again != pw || c.Outcome != openstack.Updated {
		t.Errorf("loose mode: %+v %v", c, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode not fixed: %v", fi.Mode())
	}

	// An empty file gets a new password.
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh, c, err := keptPassword(path)
	if err != nil || fresh == pw || len(fresh) != 40 || c.Outcome != openstack.Updated {
		t.Errorf("empty file: %q %+v %v", fresh, c, err)
	}
}

func TestOperatorPublicKey(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	key, path, hint := operatorPublicKey()
	if key != "" || path != filepath.Join(home, ".ssh/id_ed25519.pub") || len(hint) == 0 || !strings.Contains(hint[0], "ssh-keygen -t ed25519") {
		t.Errorf("no key: %q %q %q", key, path, hint)
	}
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh/id_rsa.pub"), []byte("ssh-rsa AAAA rsa\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if key, path, _ := operatorPublicKey(); key != "ssh-rsa AAAA rsa" || !strings.HasSuffix(path, "id_rsa.pub") {
		t.Errorf("rsa: %q %q", key, path)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh/id_ed25519.pub"), []byte("ssh-ed25519 AAAA ed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if key, path, _ := operatorPublicKey(); key != "ssh-ed25519 AAAA ed" || !strings.HasSuffix(path, "id_ed25519.pub") {
		t.Errorf("ed25519 first: %q %q", key, path)
	}
}

func TestGuestImageSpec(t *testing.T) {
	s := GuestImageSpec("/tmp/guest.img")
	if s.Name != guest.GlanceName || s.File != "/tmp/guest.img" || s.DiskFormat != "raw" || s.Properties["hw_disk_bus"] != "virtio" {
		t.Errorf("%+v", s)
	}
}
