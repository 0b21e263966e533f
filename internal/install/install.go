// Package install writes what hotstack-os installs: the rendered units,
// config and helper (recorded in a manifest, so uninstall removes exactly
// those), the rendered configuration templates, and, on purge, the data.
// Every file is a step.Step, so `mage plan` shows what install would write.
package install

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/units"
)

// WithManifest returns files plus the manifest that lists them, itself and
// whatever an earlier install recorded (so uninstall removes that too,
// should the set of files shrink between versions).
func WithManifest(root string, files []units.File, manifest string) ([]units.File, error) {
	previous, err := ReadManifest(root, manifest)
	if err != nil {
		return nil, err
	}
	paths := []string{manifest}
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	paths = append(paths, previous...)
	slices.Sort(paths)
	paths = slices.Compact(paths)
	out := slices.Clip(files)
	return append(out, units.File{Path: manifest, Data: manifestData(paths), Mode: 0o644}), nil
}

// Install writes files, then the manifest, under root (a staging prefix;
// "/" for the live system), skipping those already in place. report is
// told what happened to each path (see step.Run).
func Install(ctx context.Context, root string, files []units.File, manifest string, report func(step.Step, *step.Change)) (step.Summary, error) {
	all, err := WithManifest(root, files, manifest)
	if err != nil {
		return step.Summary{}, err
	}
	return step.Run(ctx, Steps(root, all), report)
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
