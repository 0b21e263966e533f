// Package record keeps the list of what hotstack-os created on a host
// (/etc/hotstack-os/created): the directories install and infra:setup made,
// the data directories among them, and the host files setup created. It is
// what uninstall and purge remove, and all they may remove besides the
// files of the manifest: anything else on the host was there before, or
// is the operator's.
package record

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
)

// Kind is what an entry is.
type Kind string

const (
	// Dir is a directory created to hold hotstack-os files; it is removed
	// when empty.
	Dir Kind = "dir"
	// Data is a data directory infra:setup created; purge removes it with
	// its content (what the containers stored).
	Data Kind = "data"
	// File is a host file infra:setup created (/etc/hosts, /etc/exports in a
	// staging root); infra:cleanup deletes it when only our block was in it.
	File Kind = "file"
)

// Record is the set of entries, by path (absolute, before any staging
// root).
type Record struct{ entries map[string]Kind }

const header = "# What hotstack-os created (install, infra:setup): uninstall removes the directories when empty,\n" +
	"# HOTSTACK_PURGE=1 removes the data directories with their content. Edit by hand only to forget an entry.\n"

// Read reads the record at path (a missing file is an empty record). Every
// entry must be an absolute, clean path of a known kind.
func Read(path string) (*Record, error) {
	r := &Record{entries: map[string]Kind{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, p, _ := strings.Cut(line, " ")
		switch k := Kind(kind); {
		case k != Dir && k != Data && k != File:
			return nil, fmt.Errorf("%s:%d: unknown kind %q (want dir, data or file)", path, n, kind)
		case !filepath.IsAbs(p) || filepath.Clean(p) != p || p == "/":
			return nil, fmt.Errorf("%s:%d: refusing suspicious path %q", path, n, p)
		default:
			r.entries[p] = k
		}
	}
	return r, sc.Err()
}

// Add records p as kind; an entry already there keeps its kind.
func (r *Record) Add(kind Kind, p string) {
	if _, ok := r.entries[p]; !ok {
		r.entries[p] = kind
	}
}

// Remove forgets p.
func (r *Record) Remove(p string) { delete(r.entries, p) }

// Has reports whether p is recorded, and as what.
func (r *Record) Has(p string) (Kind, bool) {
	k, ok := r.entries[p]
	return k, ok
}

// All returns every recorded path, sorted.
func (r *Record) All() []string {
	out := make([]string, 0, len(r.entries))
	for p := range r.entries {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Len is the number of entries.
func (r *Record) Len() int { return len(r.entries) }

// Paths returns the entries of kind, deepest first (so a directory comes
// after everything recorded inside it).
func (r *Record) Paths(kind Kind) []string {
	var out []string
	for p, k := range r.entries {
		if k == kind {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(strings.Count(b, "/"), strings.Count(a, "/")); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return out
}

// Bytes is the file's content.
func (r *Record) Bytes() []byte {
	var b strings.Builder
	b.WriteString(header)
	for _, p := range r.All() {
		fmt.Fprintf(&b, "%s %s\n", r.entries[p], p)
	}
	return []byte(b.String())
}

// Missing returns the directories from dir up that do not exist under root,
// deepest first: what creating dir creates.
func Missing(root, dir string) []string {
	var out []string
	for d := filepath.Clean(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		if _, err := os.Lstat(Rooted(root, d)); err == nil {
			break
		}
		out = append(out, d)
	}
	return out
}

// Rooted prefixes an absolute target path with the staging root.
func Rooted(root, path string) string {
	if root == "" || root == "/" {
		return path
	}
	return filepath.Join(root, path)
}

// Update reads the record at path under root, lets change edit it, and
// writes it back (recording the directories the write itself creates);
// a record left without entries is deleted.
func Update(root, path string, change func(*Record)) error {
	r, err := Read(Rooted(root, path))
	if err != nil {
		return err
	}
	change(r)
	return r.Write(root, path)
}

// Write saves the record at path under root; without entries, it deletes
// the file instead.
func (r *Record) Write(root, path string) error {
	target := Rooted(root, path)
	if r.Len() == 0 {
		if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	for _, d := range Missing(root, filepath.Dir(path)) {
		r.Add(Dir, d)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	_, err := atomicfile.Write(target, r.Bytes(), atomicfile.Options{Perm: 0o644})
	return err
}
