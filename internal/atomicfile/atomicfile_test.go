package atomicfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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
	busy := func(string, string) error { return &os.LinkError{Op: "rename", Err: syscall.EBUSY} }
	changed, err := Write(p, []byte("new content"), Options{Perm: 0o644, KeepMeta: true, rename: busy})
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
