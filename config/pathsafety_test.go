package config

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeFS is a file system for LookupPath: its paths, and a root-owned /
// (mode 0755) unless it says otherwise.
type fakeFS map[string]PathInfo

func (f fakeFS) lookup(p string) (PathInfo, error) {
	if info, ok := f[p]; ok {
		return info, nil
	}
	if p == "/" {
		return rootDir(0o755), nil
	}
	return PathInfo{}, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
}

func rootDir(perm fs.FileMode) PathInfo { return PathInfo{Mode: fs.ModeDir | perm, UID: 0} }
func userDir(uid int) PathInfo          { return PathInfo{Mode: fs.ModeDir | 0o755, UID: uid} }
func symlink(to string) PathInfo        { return PathInfo{Mode: fs.ModeSymlink | 0o777, UID: 0, Link: to} }

// host is a usual host: /tmp and /var/tmp world-writable, alice's home hers.
func host() fakeFS {
	return fakeFS{
		"/tmp": rootDir(fs.ModeSticky | 0o777), "/var": rootDir(0o755), "/var/tmp": rootDir(fs.ModeSticky | 0o777),
		"/var/lib": rootDir(0o755), "/srv": rootDir(0o755), "/home": rootDir(0o755), "/home/alice": userDir(1000),
	}
}

func problemsOn(t *testing.T, f fakeFS, env string) []string {
	t.Helper()
	opt := testOpts
	opt.LookupPath = f.lookup
	opt.HomeDirs = func() []string { return []string{"/home/alice"} }
	return problems(t, env, opt)
}

func wantOnlyOn(t *testing.T, f fakeFS, env string, want ...string) {
	t.Helper()
	got := problemsOn(t, f, env)
	if len(got) != len(want) {
		t.Fatalf("%q: got %d problem(s), want %d:\n  %s", env, len(got), len(want), strings.Join(got, "\n  "))
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("%q: problem %d\n  %s\ndoes not contain\n  %s", env, i, got[i], want[i])
		}
	}
}

// TestPathKeysUnderDirectoriesOthersMayWriteAreRefused: root follows what it
// finds on the way to a data directory, so every existing directory there
// must be root's alone; /tmp, /var/tmp and home directories are not.
func TestPathKeysUnderDirectoriesOthersMayWriteAreRefused(t *testing.T) {
	f := host()
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/tmp/hs\n",
		`.env:1: HOTSTACK_DATA_DIR: "/tmp/hs" is under /tmp, which is world-writable (mode 1777): whoever may write there can put a symbolic link in the path and have root create, chown or delete files elsewhere; choose a directory that only root can write, up to /, such as /var/lib/hotstack-os`)
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/var/tmp/hotstack/data\n",
		`.env:1: HOTSTACK_DATA_DIR: "/var/tmp/hotstack/data" is under /var/tmp, which is world-writable (mode 1777)`)
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/home/alice/hs\n",
		`.env:1: HOTSTACK_DATA_DIR: "/home/alice/hs" is under /home/alice, which belongs to uid 1000, not root:`)
	f["/srv/shared"] = rootDir(0o775)
	wantOnlyOn(t, f, "\nCINDER_NFS_EXPORT_DIR=/srv/shared/nfs\n",
		`.env:2: CINDER_NFS_EXPORT_DIR: "/srv/shared/nfs" is under /srv/shared, which is group-writable (mode 0775)`)
	// / itself counts.
	f["/"] = userDir(1000)
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/hs\n", `.env:1: HOTSTACK_DATA_DIR: "/srv/hs" is under /, which belongs to uid 1000, not root`)
}

// TestPathKeyChecksFollowSymbolicLinks: a link on the way is followed as
// the kernel would, and the directories it leads to are checked; the link
// that led there is named.
func TestPathKeyChecksFollowSymbolicLinks(t *testing.T) {
	f := host()
	f["/srv/data"] = symlink("/home/alice/data")
	f["/home/alice/data"] = userDir(1000)
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/data/hs\n",
		`.env:1: HOTSTACK_DATA_DIR: "/srv/data/hs" is under /home/alice, which belongs to uid 1000, not root (reached through the symbolic link /srv/data)`)
	// A relative link, and a link as the data directory itself.
	f["/srv/hs"] = symlink("../tmp/hs")
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/hs\n",
		`.env:1: HOTSTACK_DATA_DIR: "/srv/hs" is under /tmp, which is world-writable (mode 1777) (reached through the symbolic link /srv/hs)`)
	// Root's own links between root's own directories are fine (Fedora
	// Silverblue's /srv -> var/srv).
	f["/srv"] = symlink("var/srv")
	f["/var/srv"] = rootDir(0o755)
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/hotstack\n")
	f["/var/srv/loop"] = symlink("/var/srv/loop")
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/loop/hs\n", `.env:1: HOTSTACK_DATA_DIR: cannot check the directories leading to "/srv/loop/hs": more than 40 symbolic links`)
}

// TestPathKeyDirectoriesThemselves: HOTSTACK_DATA_DIR holds what setup
// creates without choosing its owner, so it must be root's alone too; the
// other path keys' own directories are setup's to chown (the instances
// directory is group-writable by design). Missing directories are fine.
func TestPathKeyDirectoriesThemselves(t *testing.T) {
	f := host()
	f["/srv/hs"] = userDir(1000)
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/hs\n",
		`.env:1: HOTSTACK_DATA_DIR: "/srv/hs" belongs to uid 1000, not root:`)
	f = host()
	f["/var/lib/hotstack-os"] = rootDir(0o755)
	f["/var/lib/hotstack-os/nova-instances"] = rootDir(fs.ModeSetgid | 0o775)
	f["/var/lib/hotstack-os/cinder-nfs"] = userDir(42407)
	wantOnlyOn(t, f, "")
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/not/yet/there\n")
	f["/srv/file"] = PathInfo{Mode: 0o644}
	wantOnlyOn(t, f, "HOTSTACK_DATA_DIR=/srv/file/hs\n", `.env:1: HOTSTACK_DATA_DIR: "/srv/file/hs" is under /srv/file, which is not a directory`)
}

// TestDerivedPathKeysReportOnTheWrittenKey: the keys whose defaults lie in
// HOTSTACK_DATA_DIR add nothing to its own problem.
func TestDerivedPathKeysReportOnTheWrittenKey(t *testing.T) {
	wantOnlyOn(t, host(), "# data\nHOTSTACK_DATA_DIR=/tmp/hs\n", `.env:2: HOTSTACK_DATA_DIR: "/tmp/hs" is under /tmp`)
	wantOnlyOn(t, host(), "NOVA_INSTANCES_PATH=/tmp/instances\n", `.env:1: NOVA_INSTANCES_PATH: "/tmp/instances" is under /tmp`)
}

// TestPathKeysCheckedOnTheRealFileSystem: with no LookupPath the real file
// system is read. A temporary directory lies under a world-writable one
// (/tmp, or $TMPDIR's), so a data directory there is refused.
func TestPathKeysCheckedOnTheRealFileSystem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hs")
	opt := testOpts
	opt.LookupPath = nil
	got := problems(t, "HOTSTACK_DATA_DIR="+dir+"\n", opt)
	if len(got) != 1 || !strings.HasPrefix(got[0], fmt.Sprintf(".env:1: HOTSTACK_DATA_DIR: %q is under ", dir)) || !strings.Contains(got[0], "writable") {
		t.Fatalf("HOTSTACK_DATA_DIR=%s: %v", dir, got)
	}
	under := strings.TrimPrefix(got[0], fmt.Sprintf(".env:1: HOTSTACK_DATA_DIR: %q is under ", dir))
	if under, _, _ = strings.Cut(under, ","); !strings.HasPrefix(dir, under) {
		t.Errorf("names %s, which is not on the way to %s", under, dir)
	}
}

// TestRealLookupOfLinksAndModes reads a tree made in a temporary
// directory through the real lookup (as if it were /, and as if the
// test's user were root): modes, owners and links are the kernel's.
func TestRealLookupOfLinksAndModes(t *testing.T) {
	top := t.TempDir()
	for _, d := range []struct {
		path string
		perm fs.FileMode
	}{{"srv", 0o755}, {"srv/open", 0o777}, {"srv/closed", 0o755}} {
		if err := os.Mkdir(filepath.Join(top, d.path), d.perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(top, d.path), d.perm); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	if err := os.Symlink("open", filepath.Join(top, "srv/link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/srv/closed", filepath.Join(top, "srv/ok")); err != nil {
		t.Fatal(err)
	}
	lookup := func(p string) (PathInfo, error) {
		info, err := lookupPath(filepath.Join(top, p))
		if info.UID == os.Geteuid() {
			info.UID = 0
		}
		if p == "/" {
			info.Mode &^= 0o022 // t.TempDir's own mode is not the point
		}
		return info, err
	}
	dir, why, link, err := unsafeDir("/srv/link/hs", false, lookup)
	if err != nil || dir != "/srv/open" || why != "is world-writable (mode 0777)" || link != "/srv/link" {
		t.Errorf("/srv/link/hs: dir %q why %q link %q err %v", dir, why, link, err)
	}
	if dir, why, _, err := unsafeDir("/srv/ok/hs", true, lookup); dir != "" || err != nil {
		t.Errorf("/srv/ok/hs: %s %s %v", dir, why, err)
	}
}

// TestPathKeysMustNotNest: a path key equal to or inside another is
// refused, naming both; only HOTSTACK_DATA_DIR may hold the others (the
// defaults put them there).
func TestPathKeysMustNotNest(t *testing.T) {
	const tail = "; each path key needs a directory of its own, outside the others (only HOTSTACK_DATA_DIR may hold them)"
	wantOnly(t, "")
	wantOnly(t, "NOVA_INSTANCES_PATH=/srv/instances\nCINDER_NFS_EXPORT_DIR=/srv/nfs\nNOVA_NFS_MOUNT_POINT_BASE=/srv/nfs-mnt\n")
	// The export holding the whole data directory.
	wantOnly(t, "HOTSTACK_DATA_DIR=/srv/hs/data\nCINDER_NFS_EXPORT_DIR=/srv/hs\n",
		`.env:2: CINDER_NFS_EXPORT_DIR: "/srv/hs" holds HOTSTACK_DATA_DIR "/srv/hs/data"`+tail)
	wantOnly(t, "CINDER_NFS_EXPORT_DIR=/var/lib/hotstack-os\n",
		`.env:1: CINDER_NFS_EXPORT_DIR: "/var/lib/hotstack-os" is also HOTSTACK_DATA_DIR "/var/lib/hotstack-os" (its default)`+tail)
	// Inside another key's default: the written key is blamed.
	wantOnly(t, "NOVA_INSTANCES_PATH=/var/lib/hotstack-os/cinder-nfs/instances\n",
		`.env:1: NOVA_INSTANCES_PATH: "/var/lib/hotstack-os/cinder-nfs/instances" is inside CINDER_NFS_EXPORT_DIR "/var/lib/hotstack-os/cinder-nfs" (its default)`+tail)
	wantOnly(t, "NOVA_INSTANCES_PATH=/srv/shared\nCINDER_NFS_EXPORT_DIR=/srv/shared\n",
		`.env:1: NOVA_INSTANCES_PATH: "/srv/shared" is also CINDER_NFS_EXPORT_DIR "/srv/shared"`+tail)
	wantOnly(t, "HOTSTACK_DATA_DIR=/srv/inst/hs\nNOVA_INSTANCES_PATH=/srv/inst\n",
		`.env:2: NOVA_INSTANCES_PATH: "/srv/inst" holds HOTSTACK_DATA_DIR "/srv/inst/hs"`+tail)
	// A shared prefix is not nesting.
	wantOnly(t, "CINDER_NFS_EXPORT_DIR=/srv/nfs\nNOVA_NFS_MOUNT_POINT_BASE=/srv/nfs2\n")
}
