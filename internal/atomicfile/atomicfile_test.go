package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/safepath"
)

func TestWriteCreatesAndSkipsUnchanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	changed, err := Write(p, []byte("a\n"), Options{Perm: 0o600})
	if err != nil || !changed {
		t.Fatalf("first write: changed=%v err=%v", changed, err)
	}
	if fi := stat(t, p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode())
	}
	old := time.Unix(1_000_000, 0)
	must(t, os.Chtimes(p, old, old))
	changed, err = Write(p, []byte("a\n"), Options{Perm: 0o600})
	if err != nil || changed {
		t.Fatalf("second write: changed=%v err=%v", changed, err)
	}
	if !stat(t, p).ModTime().Equal(old) {
		t.Fatal("unchanged write touched the file")
	}
	// A mode drift counts as a change.
	must(t, os.Chmod(p, 0o644))
	if changed, err = Write(p, []byte("a\n"), Options{Perm: 0o600}); err != nil || !changed {
		t.Fatalf("mode drift not repaired: %v", err)
	}
}

func TestWriteKeepsModeAndFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real")
	link := filepath.Join(dir, "link")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", link); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(link, []byte("new"), Options{Perm: 0o600, KeepMeta: true}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("symlink was replaced by a file")
	}
	if b, fi := read(t, target), stat(t, target); b != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("target = %q mode %v", b, fi.Mode())
	}
}

func TestWriteFallsBackInPlaceOnEBUSY(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	busy := func(int, string, string) error { return syscall.EBUSY }
	changed, err := Write(p, []byte("new content"), Options{Perm: 0o644, KeepMeta: true, renameat: busy})
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	if b := read(t, p); b != "new content" {
		t.Fatalf("content %q", b)
	}
	entries, err := os.ReadDir(filepath.Dir(p))
	if err != nil || len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
}

// TestInPlaceBackupIsNotWrittenThroughALink: the backup of a bind-mounted
// file replaces whatever holds its name rather than writing through it.
func TestInPlaceBackupIsNotWrittenThroughALink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hosts")
	must(t, os.WriteFile(p, []byte("old"), 0o644))
	secret := outsideFile(t)
	must(t, os.Symlink(secret, p+".hotstack-os.bak"))
	busy := func(int, string, string) error { return syscall.EBUSY }
	if _, err := Write(p, []byte("new"), Options{Perm: 0o644, KeepMeta: true, renameat: busy}); err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, secret)
	if b := read(t, p); b != "new" {
		t.Fatalf("content %q", b)
	}
}

// outsideFile is a file elsewhere that a planted link points at, as
// /etc/shadow would be: content "keep", mode 0640.
func outsideFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	must(t, os.WriteFile(p, []byte("keep"), 0o640))
	return p
}

func assertUntouched(t *testing.T, p string) {
	t.Helper()
	if b, fi := read(t, p), stat(t, p); b != "keep" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("%s was written through a link: %q mode %v", p, b, fi.Mode())
	}
}

func wantLinkError(t *testing.T, err error, link string) {
	t.Helper()
	var le *safepath.LinkError
	if !errors.As(err, &le) || le.Link != link {
		t.Fatalf("got %v, want the link %s refused", err, link)
	}
}

// openDir is a directory anyone may write, as a data directory that a
// container's user owns is to root: a link there is not root's.
func openDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "open")
	must(t, os.Mkdir(d, 0o777))
	must(t, os.Chmod(d, 0o777))
	return d
}

// TestWriteRefusesALinkPlantedAtThePath: where others may write (a
// container's data directory), a link at the file's path is never written
// through, wherever it points (a file, nothing); the link stays.
func TestWriteRefusesALinkPlantedAtThePath(t *testing.T) {
	open := openDir(t)
	secret := outsideFile(t)
	link := filepath.Join(open, "virt_type")
	must(t, os.Symlink(secret, link))
	_, err := Write(link, []byte("kvm\n"), Options{Perm: 0o644})
	wantLinkError(t, err, link)
	if want := "not following the symbolic link " + link + ": " + open + " is world-writable, so someone other than root may have put it there"; err.Error() != want {
		t.Errorf("message:\n  %v\nwant\n  %s", err, want)
	}
	assertUntouched(t, secret)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the link was replaced")
	}
	dangling := filepath.Join(open, "dangling")
	missing := filepath.Join(filepath.Dir(secret), "new")
	must(t, os.Symlink(missing, dangling))
	_, err = Write(dangling, []byte("x"), Options{Perm: 0o644})
	wantLinkError(t, err, dangling)
	if _, err := os.Lstat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("created %s through a dangling link", missing)
	}
}

// TestWriteRefusesALinkPlantedOnTheWay: a link in a directory others may
// write (nova's data directory, say) is not followed to reach the file,
// with or without KeepMeta; nothing is written where it points.
func TestWriteRefusesALinkPlantedOnTheWay(t *testing.T) {
	open := openDir(t)
	elsewhere := t.TempDir()
	planted := filepath.Join(open, "sub")
	must(t, os.Symlink(elsewhere, planted))
	for _, keep := range []bool{false, true} {
		_, err := Write(filepath.Join(planted, "f"), []byte("x"), Options{Perm: 0o644, KeepMeta: keep})
		wantLinkError(t, err, planted)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("written through the link: %v", entries)
	}
	// KeepMeta (a host file we edit) changes nothing to that.
	secret := outsideFile(t)
	link := filepath.Join(open, "hosts")
	must(t, os.Symlink(secret, link))
	_, err := Write(link, []byte("x"), Options{Perm: 0o644, KeepMeta: true})
	wantLinkError(t, err, link)
	assertUntouched(t, secret)
}

// TestWriteFollowsLinksOnlyRootCouldHaveMade: a link in a directory only
// root (here, the test's user) may write is followed, on the way, as
// /var/run -> /run must be, and at the path.
func TestWriteFollowsLinksOnlyRootCouldHaveMade(t *testing.T) {
	dir := t.TempDir()
	must(t, os.Mkdir(filepath.Join(dir, "run"), 0o755))
	must(t, os.Symlink("run", filepath.Join(dir, "varrun")))
	if _, err := Write(filepath.Join(dir, "varrun", "f"), []byte("x"), Options{Perm: 0o600}); err != nil {
		t.Fatal(err)
	}
	if b := read(t, filepath.Join(dir, "run", "f")); b != "x" {
		t.Fatalf("content %q", b)
	}
	// And at the path: an administrator's /etc/openstack/clouds.yaml.
	must(t, os.Symlink("run/f", filepath.Join(dir, "clouds.yaml")))
	if _, err := Write(filepath.Join(dir, "clouds.yaml"), []byte("y"), Options{Perm: 0o600}); err != nil {
		t.Fatal(err)
	}
	if b := read(t, filepath.Join(dir, "run", "f")); b != "y" {
		t.Fatalf("content %q", b)
	}
}

// TestWriteSetsTheOwner: with Owner the file gets that owner, and a file
// owned otherwise counts as a change.
func TestWriteSetsTheOwner(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	me := &Owner{UID: os.Getuid(), GID: os.Getgid()}
	if changed, err := Write(p, []byte("a"), Options{Perm: 0o640, Owner: me}); err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	if changed, err := Write(p, []byte("a"), Options{Perm: 0o640, Owner: me}); err != nil || changed {
		t.Fatalf("same owner: changed=%v err=%v", changed, err)
	}
	if os.Geteuid() != 0 {
		t.Skip("changing a file's owner needs root")
	}
	other := &Owner{UID: 1, GID: 2}
	if changed, err := Write(p, []byte("a"), Options{Perm: 0o640, Owner: other}); err != nil || !changed {
		t.Fatalf("other owner: changed=%v err=%v", changed, err)
	}
	st := stat(t, p).Sys().(*syscall.Stat_t)
	if st.Uid != 1 || st.Gid != 2 || stat(t, p).Mode().Perm() != 0o640 {
		t.Fatalf("owner %d:%d mode %v", st.Uid, st.Gid, stat(t, p).Mode())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func stat(t *testing.T, p string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(p)
	must(t, err)
	return fi
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return string(b)
}
