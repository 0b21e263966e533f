package host

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

// TestKVMOpenedToGroup runs the step on a stand-in device file: a root-only
// file is given to group kvm with group read-write, and a second run
// changes nothing.
func TestKVMOpenedToGroup(t *testing.T) {
	g, err := user.LookupGroup("kvm")
	if err != nil {
		t.Skip("no kvm group on this host")
	}
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	gid, _ := strconv.Atoi(g.Gid)
	dev := filepath.Join(t.TempDir(), "kvm")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := &Host{}
	s := h.kvmStep(dev)
	c, err := s.Check(t.Context())
	if err != nil || c == nil {
		t.Fatalf("check = %v, %v; want a change", c, err)
	}
	if err := s.Apply(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dev)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 || int(fi.Sys().(*syscall.Stat_t).Gid) != gid {
		t.Fatalf("after apply: mode %04o gid %d, want 0660 and %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Gid, gid)
	}
	if c, err := s.Check(t.Context()); err != nil || c != nil {
		t.Fatalf("second check = %v, %v; want no change", c, err)
	}
	// A world read-write device (Fedora's default) needs nothing.
	if err := os.Chmod(dev, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dev, 0, 0); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Check(t.Context()); c != nil {
		t.Fatalf("0666 device reported %v", c.Target)
	}
	// No device: nothing to do.
	if c, err := h.kvmStep(filepath.Join(t.TempDir(), "none")).Check(t.Context()); err != nil || c != nil {
		t.Fatalf("missing device: %v %v", c, err)
	}
}

// TestDataDirOwnersAreImageUsers: every owner named in the data directory
// table is a user of the image contract.
func TestDataDirOwnersAreImageUsers(t *testing.T) {
	for _, d := range containerDirs() {
		if _, ok := stack.UserID(d.Owner); !ok {
			t.Errorf("%s: owner %q is not in stack.ImageUsers", d.Path, d.Owner)
		}
	}
}
