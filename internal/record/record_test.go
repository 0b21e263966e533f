package record

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The record decides what purge deletes: a line it cannot trust stops the
// read, naming the file and line, rather than being taken as a path.
func TestReadRefusesWhatItCannotTrust(t *testing.T) {
	for name, c := range map[string]struct{ line, want string }{
		"unknown kind":  {"tree /var/lib/x", `:2: unknown kind "tree"`},
		"relative path": {"data var/lib/x", `:2: refusing suspicious path "var/lib/x"`},
		"unclean path":  {"data /var/lib/../../etc", `:2: refusing suspicious path "/var/lib/../../etc"`},
		"the root":      {"data /", `:2: refusing suspicious path "/"`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "created")
			if err := os.WriteFile(path, []byte("# comment\n"+c.line+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil || !strings.Contains(err.Error(), path+c.want) {
				t.Fatalf("Read: %v, want %q", err, path+c.want)
			}
		})
	}
}

// A missing record is empty; what is written reads back the same, and an
// entry keeps its first kind.
func TestWriteThenRead(t *testing.T) {
	root := t.TempDir()
	r, err := Read(filepath.Join(root, "missing"))
	if err != nil || r.Len() != 0 {
		t.Fatalf("missing record: %v, %d entries", err, r.Len())
	}
	r.Add(Data, "/var/lib/hotstack-os/mysql")
	r.Add(Dir, "/var/lib/hotstack-os/mysql") // keeps Data
	r.Add(File, "/etc/hosts")
	if err := r.Write(root, "/etc/hotstack-os/created"); err != nil {
		t.Fatal(err)
	}
	back, err := Read(Rooted(root, "/etc/hotstack-os/created"))
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := back.Has("/var/lib/hotstack-os/mysql"); k != Data {
		t.Errorf("mysql recorded as %q, want data", k)
	}
	// Under a fresh root the write created /etc and /etc/hotstack-os:
	// both recorded as directories to remove when empty.
	for _, d := range []string{"/etc/hotstack-os", "/etc"} {
		if k, ok := back.Has(d); !ok || k != Dir {
			t.Errorf("%s: %q %v, want dir", d, k, ok)
		}
	}
	if !slices.Equal(back.All(), []string{"/etc", "/etc/hosts", "/etc/hotstack-os", "/var/lib/hotstack-os/mysql"}) {
		t.Errorf("All = %v", back.All())
	}
}

// Paths lists the deepest first, so a directory is removed after what it
// holds; a record left empty deletes its file.
func TestPathsDeepestFirstAndEmptyRecordGoes(t *testing.T) {
	r := &Record{entries: map[string]Kind{}}
	for _, p := range []string{"/a", "/a/b/c", "/a/b", "/z/y"} {
		r.Add(Dir, p)
	}
	if got := r.Paths(Dir); !slices.Equal(got, []string{"/a/b/c", "/a/b", "/z/y", "/a"}) {
		t.Errorf("Paths = %v", got)
	}
	root := t.TempDir()
	if err := Update(root, "/etc/created", func(r *Record) { r.Add(Data, "/srv/x") }); err != nil {
		t.Fatal(err)
	}
	if err := Update(root, "/etc/created", func(r *Record) {
		for _, p := range r.All() {
			r.Remove(p)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(Rooted(root, "/etc/created")); !os.IsNotExist(err) {
		t.Errorf("an empty record left its file: %v", err)
	}
}
