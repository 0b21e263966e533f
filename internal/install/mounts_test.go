package install

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// sampleMountInfo is a host's table: the root file system on 8:1, /srv
// bind-mounted from the same file system (8:1 too, so st_dev cannot tell
// it from its parent), an NFS volume, and a path with a space.
const sampleMountInfo = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
30 22 8:1 /srv/exports /var/lib/hotstack-os/cinder rw,relatime shared:1 - ext4 /dev/sda1 rw
31 22 0:45 / /var/lib/hotstack-os/nova-mnt/abc123 rw,relatime shared:20 - nfs4 192.0.2.1:/export rw,vers=4.2
32 22 8:1 /data /var/lib/hotstack-os\040old rw,relatime shared:1 - ext4 /dev/sda1 rw
`

func TestMountsAtOrUnderSeesBindMountsOfTheSameFileSystem(t *testing.T) {
	for dir, want := range map[string][]string{
		"/var/lib/hotstack-os":          {"/var/lib/hotstack-os/cinder", "/var/lib/hotstack-os/nova-mnt/abc123"},
		"/var/lib/hotstack-os/cinder":   {"/var/lib/hotstack-os/cinder"}, // the directory itself is a mount point
		"/var/lib/hotstack-os/mysql":    nil,
		"/var/lib/hotstack-os old":      {"/var/lib/hotstack-os old"}, // \040 is a space
		"/var/lib/hotstack-os/nova-mnt": {"/var/lib/hotstack-os/nova-mnt/abc123"},
		"/var/lib/hotstack":             nil, // a prefix of the name, not a parent directory
	} {
		got, err := mountsAtOrUnder([]byte(sampleMountInfo), dir)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("mounts at or under %s: %q (%v), want %q", dir, got, err, want)
		}
	}
	if _, err := mountsAtOrUnder([]byte("22 1 8:1\n"), "/"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a short line: %v", err)
	}
}

func TestUnescapeMountPath(t *testing.T) {
	for in, want := range map[string]string{`/a\040b`: "/a b", `/t\011ab`: "/t\tab", `/back\134slash`: `/back\slash`, `/plain`: "/plain", `/odd\04`: `/odd\04`} {
		if got := unescapeMountPath(in); got != want {
			t.Errorf("unescape %q: %q, want %q", in, got, want)
		}
	}
}

// withMountInfo makes readMountInfo return table for the test's length.
func withMountInfo(t *testing.T, table string) {
	t.Helper()
	saved := readMountInfo
	readMountInfo = func() ([]byte, error) { return []byte(table), nil }
	t.Cleanup(func() { readMountInfo = saved })
}

// TestPurgeRefusesADataDirectoryWithABindMount: a bind mount inside a data
// directory lives on the same device as the directory, so it was purged
// through (deleting what the mount shows); the mount table tells it, and
// nothing is deleted.
func TestPurgeRefusesADataDirectoryWithABindMount(t *testing.T) {
	root := t.TempDir()
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "var/lib/hs/volumes")
	mounted := filepath.Join(data, "bound")
	if err := os.MkdirAll(mounted, 0o755); err != nil {
		t.Fatal(err)
	}
	// Purged before volumes, were it not refused first.
	other := filepath.Join(root, "var/lib/hs/mysql/data/deep")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mounted, "operator-data"), []byte("not ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(root, "etc/hs/created")
	if err := os.MkdirAll(filepath.Dir(record), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record, []byte("data /var/lib/hs/volumes\ndata /var/lib/hs/mysql/data/deep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	withMountInfo(t, "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"+
		"40 22 8:1 /home/op/data "+filepath.Join(real, "var/lib/hs/volumes/bound")+" rw - ext4 /dev/sda1 rw\n")

	_, err = Remove(root, "/etc/hs/manifest", "/etc/hs/created", true, nil, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "refusing to purge") || !strings.Contains(err.Error(), "bound is a mount point") ||
		!strings.Contains(err.Error(), "unmount it first; nothing was deleted") {
		t.Fatalf("purge through a bind mount: %v", err)
	}
	if data, err := os.ReadFile(filepath.Join(mounted, "operator-data")); err != nil || string(data) != "not ours" {
		t.Fatalf("the bind-mounted file: %q %v", data, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("a refused purge deleted another data directory first: %v", err)
	}

	// Unmounted, the same purge goes through.
	withMountInfo(t, "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n")
	if _, err := Remove(root, "/etc/hs/manifest", "/etc/hs/created", true, nil, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{data, other} {
		if _, err := os.Lstat(d); !os.IsNotExist(err) {
			t.Fatalf("purge left %s: %v", d, err)
		}
	}
}
