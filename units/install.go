package units

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
)

// InstallResult says what Install did to each path.
type InstallResult struct {
	Written   []string // created or changed
	Unchanged []string
}

// Changed reports whether anything was written.
func (r InstallResult) Changed() bool { return len(r.Written) > 0 }

// Install writes files under root (a staging prefix; "/" for the live
// system) and records them, with the manifest itself, in manifest. Each
// write is atomic and skipped when the file already holds the same bytes
// and mode, so a repeated install touches nothing.
func Install(root string, files []File, manifest string) (InstallResult, error) {
	var res InstallResult
	paths := make([]string, 0, len(files)+1)
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	// Uninstall removes what earlier installs wrote too, should the set of
	// files shrink between versions.
	previous, err := ReadManifest(root, manifest)
	if err != nil {
		return res, err
	}
	paths = union(paths, previous, []string{manifest})
	all := append(files, File{Path: manifest, Data: manifestData(paths), Mode: 0o644})
	for _, f := range all {
		dst := Rooted(root, f.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return res, fmt.Errorf("create directory for %s: %w", dst, err)
		}
		changed, err := atomicfile.Write(dst, f.Data, atomicfile.Options{Perm: f.Mode})
		if err != nil {
			return res, fmt.Errorf("install %s: %w", f.Path, err)
		}
		if changed {
			res.Written = append(res.Written, f.Path)
		} else {
			res.Unchanged = append(res.Unchanged, f.Path)
		}
	}
	return res, nil
}

// Uninstall removes every path in the manifest, then the manifest, then
// directories left empty. A missing manifest means nothing is installed.
func Uninstall(root, manifest string) (removed []string, err error) {
	paths, err := ReadManifest(root, manifest)
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	dirs := map[string]bool{}
	for _, p := range paths {
		err := os.Remove(Rooted(root, p))
		switch {
		case err == nil:
			removed = append(removed, p)
		case errors.Is(err, fs.ErrNotExist):
		default:
			return removed, fmt.Errorf("remove %s: %w", p, err)
		}
		dirs[filepath.Dir(p)] = true
	}
	// Only directories that are ours alone: rmdir fails on non-empty ones,
	// and shared system directories are never empty.
	for d := range dirs {
		_ = os.Remove(Rooted(root, d))
	}
	return removed, nil
}

// ReadManifest returns the paths recorded in manifest under root; none when
// it does not exist.
func ReadManifest(root, manifest string) ([]string, error) {
	data, err := os.ReadFile(Rooted(root, manifest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !filepath.IsAbs(line) || filepath.Clean(line) != line {
			return nil, fmt.Errorf("manifest %s: refusing suspicious path %q", manifest, line)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// Rooted prefixes an absolute target path with the staging root.
func Rooted(root, path string) string {
	if root == "" || root == "/" {
		return path
	}
	return filepath.Join(root, path)
}

func manifestData(paths []string) []byte {
	var b strings.Builder
	b.WriteString("# Files written by hotstack-os install; `mage uninstall` removes exactly these.\n")
	for _, p := range paths {
		b.WriteString(p + "\n")
	}
	return []byte(b.String())
}

func union(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, p := range l {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
