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
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode())
	}
	old := time.Unix(1_000_000, 0)
	_ = os.Chtimes(p, old, old)
	changed, err = Write(p, []byte("a\n"), Options{Perm: 0o600})
	if err != nil || changed {
		t.Fatalf("second write: changed=%v err=%v", changed, err)
	}
	fi, _ = os.Stat(p)
	if !fi.ModTime().Equal(old) {
		t.Fatal("unchanged write touched the file")
	}
	// A mode drift counts as a change.
	_ = os.Chmod(p, 0o644)
	if changed, _ = Write(p, []byte("a\n"), Options{Perm: 0o600}); !changed {
		t.Fatal("mode drift not repaired")
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
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("symlink was replaced by a file")
	}
	b, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("target = %q mode %v", b, fi.Mode())
	}
}

func TestWriteFallsBackInPlaceOnEBUSY(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	rename = func(string, string) error { return &os.LinkError{Op: "rename", Err: syscall.EBUSY} }
	defer func() { rename = os.Rename }()
	changed, err := Write(p, []byte("new content"), Options{Perm: 0o644, KeepMeta: true})
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "new content" {
		t.Fatalf("content %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
}
