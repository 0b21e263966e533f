package safepath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// tree makes directories under a fresh temporary directory (root's or the
// test user's alone, so trusted) with exactly the given modes, and returns
// its path.
func tree(t *testing.T, dirs map[string]os.FileMode, links map[string]string) string {
	t.Helper()
	top := t.TempDir()
	for _, name := range []string{"open", "closed", "outside"} {
		if mode, ok := dirs[name]; ok {
			mkdir(t, filepath.Join(top, name), mode)
		}
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(top, link)); err != nil {
			t.Fatal(err)
		}
	}
	return top
}

func mkdir(t *testing.T, p string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(p, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func wantLinkError(t *testing.T, err error, link, why string) {
	t.Helper()
	var le *LinkError
	if !errors.As(err, &le) || le.Link != link || !strings.Contains(le.Why, why) {
		t.Fatalf("got %v, want a LinkError on %s (%s)", err, link, why)
	}
}

// TestOpenDirFollowsOnlyLinksNobodyElseCouldHaveMade: a link in a
// directory that only this user (or root) may write is followed, as
// /var/run -> /run is; one in a world-writable directory (a data directory
// a container writes, /tmp) is refused, naming it.
func TestOpenDirFollowsOnlyLinksNobodyElseCouldHaveMade(t *testing.T) {
	top := tree(t, map[string]os.FileMode{"open": 0o777, "closed": 0o755, "outside": 0o700},
		map[string]string{"closed/ok": "../outside", "open/planted": "../outside"})
	d, err := OpenDir(filepath.Join(top, "closed/ok"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != filepath.Join(top, "outside") {
		t.Errorf("resolved to %s", d.Name())
	}
	d.Close()
	_, err = OpenDir(filepath.Join(top, "open/planted/x"))
	wantLinkError(t, err, filepath.Join(top, "open/planted"), "open is world-writable, so someone other than root may have put it there")
	if err.Error() != "not following the symbolic link "+top+"/open/planted: "+top+"/open is world-writable, so someone other than root may have put it there" {
		t.Errorf("message: %v", err)
	}
	mkdir(t, filepath.Join(top, "group"), 0o775)
	if err := os.Symlink("/", filepath.Join(top, "group/root")); err != nil {
		t.Fatal(err)
	}
	_, err = OpenDir(filepath.Join(top, "group/root/etc"))
	wantLinkError(t, err, filepath.Join(top, "group/root"), "group is group-writable")
}

// TestMkdirAllNeverChangesWhatALinkPointsAt: a link planted where setup
// creates a directory is refused, even where links are otherwise followed:
// the owner and mode set through the file returned would land on its
// target.
func TestMkdirAllNeverChangesWhatALinkPointsAt(t *testing.T) {
	top := tree(t, map[string]os.FileMode{"open": 0o777, "closed": 0o755, "outside": 0o700},
		map[string]string{"open/tmp": "../outside", "closed/data": "../outside"})
	for _, link := range []string{"open/tmp", "closed/data"} {
		d, err := MkdirAll(filepath.Join(top, link), 0o755)
		if err == nil {
			d.Chmod(0o777)
			d.Close()
		}
		wantLinkError(t, err, filepath.Join(top, link), "the directory itself is wanted here")
	}
	if fi, err := os.Stat(filepath.Join(top, "outside")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("outside: %v %v", fi.Mode(), err)
	}
	// Below a planted link nothing is created either.
	_, err := MkdirAll(filepath.Join(top, "open/tmp/sub"), 0o755)
	wantLinkError(t, err, filepath.Join(top, "open/tmp"), "world-writable")
	if _, err := os.Lstat(filepath.Join(top, "outside/sub")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("outside/sub was created: %v", err)
	}
}

func TestMkdirAllCreatesMissingDirectories(t *testing.T) {
	top := t.TempDir()
	d, err := MkdirAll(filepath.Join(top, "a/b/c"), 0o750)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Name() != filepath.Join(top, "a/b/c") {
		t.Errorf("name %s", d.Name())
	}
	if err := d.Chmod(0o711); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(filepath.Join(top, "a/b/c")); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o711 {
		t.Fatalf("a/b/c: %v %v", fi, err)
	}
	again, err := MkdirAll(filepath.Join(top, "a/b/c"), 0o750)
	if err != nil {
		t.Fatalf("existing directory: %v", err)
	}
	again.Close()
	if err := os.WriteFile(filepath.Join(top, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := MkdirAll(filepath.Join(top, "file/x"), 0o750); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("through a file: %v", err)
	}
}

func TestLinkLoopsEnd(t *testing.T) {
	top := t.TempDir()
	if err := os.Symlink("loop", filepath.Join(top, "loop")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(filepath.Join(top, "loop")); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("got %v, want ELOOP", err)
	}
}

func TestReadLinkOnlyWhereTrusted(t *testing.T) {
	top := tree(t, map[string]os.FileMode{"open": 0o777}, map[string]string{"l": "target", "open/l": "target"})
	for name, ok := range map[string]bool{".": true, "open": false} {
		d, err := OpenDir(filepath.Join(top, name))
		if err != nil {
			t.Fatal(err)
		}
		target, err := ReadLink(d, "l")
		d.Close()
		if ok && (err != nil || target != "target") {
			t.Errorf("%s/l: %q %v", name, target, err)
		}
		if !ok {
			wantLinkError(t, err, filepath.Join(top, name, "l"), "world-writable")
		}
	}
}
