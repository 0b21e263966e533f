// Package install writes what hotstack-os installs: the rendered units,
// config, helper and configuration templates, all recorded in a manifest
// (so uninstall removes exactly those), and the record of the directories
// it created (internal/record). Install is all-or-nothing: every file is
// rendered and checked before the first write, and a failed write puts
// back what the run had written. Every file is a step.Step, so `mage plan`
// shows what install would write.
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

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/record"
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

// Files returns everything an install of files writes under root: files,
// the manifest, and the record (recordPath) extended by the directories
// the writes will create. Sorted by path.
func Files(root string, files []units.File, manifest, recordPath string) ([]units.File, error) {
	all, err := WithManifest(root, files, manifest)
	if err != nil {
		return nil, err
	}
	rec, err := record.Read(Rooted(root, recordPath))
	if err != nil {
		return nil, err
	}
	before := string(rec.Bytes())
	for _, f := range append(slices.Clone(all), units.File{Path: recordPath}) {
		for _, d := range record.Missing(root, filepath.Dir(f.Path)) {
			rec.Add(record.Dir, d)
		}
	}
	if rec.Len() > 0 {
		if _, err := os.Stat(Rooted(root, recordPath)); err == nil || string(rec.Bytes()) != before {
			all = append(all, units.File{Path: recordPath, Data: rec.Bytes(), Mode: 0o644})
		}
	}
	slices.SortFunc(all, func(a, b units.File) int { return strings.Compare(a.Path, b.Path) })
	return all, nil
}

// Install writes files, the manifest and the record under root (a staging
// prefix; "/" for the live system), skipping those already in place. All
// or nothing: when a write fails, every file the run wrote is put back as
// it was and the directories it created are removed. report is told what
// happened to each path (see step.Run).
func Install(ctx context.Context, root string, files []units.File, manifest, recordPath string, report func(step.Step, *step.Change)) (step.Summary, error) {
	all, err := Files(root, files, manifest, recordPath)
	if err != nil {
		return step.Summary{}, err
	}
	steps := Steps(root, all)
	changes := make([]*step.Change, len(steps))
	var sum step.Summary
	for i, s := range steps {
		if changes[i], err = s.Check(ctx); err != nil {
			return step.Summary{}, fmt.Errorf("%s: %w", s.Name, err)
		}
	}
	var tx transaction
	for i, s := range steps {
		if changes[i] == nil {
			sum.Unchanged = append(sum.Unchanged, s.Name)
			continue
		}
		err := tx.save(root, all[i].Path)
		if err == nil {
			err = s.Apply(ctx)
		}
		if err != nil {
			if rerr := tx.rollback(); rerr != nil {
				return step.Summary{}, fmt.Errorf("%s: %w; putting back what this run wrote failed too: %v", s.Name, err, rerr)
			}
			return step.Summary{}, fmt.Errorf("%s: %w; every file this run wrote was restored, nothing changed", s.Name, err)
		}
		sum.Changed = append(sum.Changed, s.Name)
	}
	for i, s := range steps {
		if report != nil {
			report(s, changes[i])
		}
	}
	return sum, nil
}

// transaction remembers what a run's writes replaced, to put it back.
type transaction struct {
	files []saved    // in write order
	dirs  [][]string // directories each write created, deepest first
}

type saved struct {
	path   string // under the root
	exists bool
	data   []byte
	mode   fs.FileMode
}

// save remembers the file at target (under root) before it is written,
// and the directories writing it will create.
func (tx *transaction) save(root, target string) error {
	path := Rooted(root, target)
	s := saved{path: path}
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		s.exists, s.mode = true, fi.Mode().Perm()
		if s.data, err = os.ReadFile(path); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	var dirs []string
	for _, d := range record.Missing(root, filepath.Dir(target)) {
		dirs = append(dirs, Rooted(root, d))
	}
	tx.files = append(tx.files, s)
	tx.dirs = append(tx.dirs, dirs)
	return nil
}

func (tx *transaction) rollback() error {
	var errs []error
	for i := len(tx.files) - 1; i >= 0; i-- {
		s := tx.files[i]
		if s.exists {
			if _, err := atomicfile.Write(s.path, s.data, atomicfile.Options{Perm: s.mode}); err != nil {
				errs = append(errs, err)
			}
		} else if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		for _, d := range tx.dirs[i] {
			if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Remove is uninstall: it removes every file of the manifest, then the
// directories the record lists once they are empty. With purge it also
// removes the data directories the record lists, with their content, and
// says which of the configured ones (dataDirs) it leaves because
// hotstack-os did not create them. Before deleting anything, a purge
// checks every recorded data directory: one that is or holds a system or
// home directory makes it refuse, and nothing is deleted.
func Remove(root, manifest, recordPath string, purge bool, dataDirs []string, log zerolog.Logger) (removed []string, err error) {
	paths, err := ReadManifest(root, manifest)
	if err != nil {
		return nil, err
	}
	rec, err := record.Read(Rooted(root, recordPath))
	if err != nil {
		return nil, err
	}
	if purge {
		if err := checkPurge(rec, recordPath); err != nil {
			return nil, err
		}
		if err := checkMounts(root, rec); err != nil {
			return nil, err
		}
	}
	for _, p := range paths {
		err := os.Remove(Rooted(root, p))
		switch {
		case err == nil:
			removed = append(removed, p)
		case errors.Is(err, fs.ErrNotExist):
		default:
			return removed, fmt.Errorf("remove %s: %w", p, err)
		}
	}
	if purge {
		for _, p := range rec.Paths(record.Data) {
			// An entry whose directory is gone (deleted by hand, or left
			// from an earlier HOTSTACK_DATA_DIR) is forgotten, not
			// reported as purged.
			if _, err := os.Lstat(Rooted(root, p)); errors.Is(err, fs.ErrNotExist) {
				rec.Remove(p)
				log.Info().Str("path", p).Msg("forgot data directory: it no longer exists")
				continue
			}
			if err := removeTree(Rooted(root, p)); err != nil {
				return removed, err
			}
			rec.Remove(p)
			log.Info().Str("path", p).Msg("purged data directory")
		}
		for _, d := range dataDirs {
			if _, ok := rec.Has(d); ok {
				continue
			}
			if _, err := os.Stat(Rooted(root, d)); err == nil {
				log.Warn().Str("path", d).Msgf("refusing to delete %s: hotstack-os did not create it (it is not in %s); delete it by hand if it should go", d, recordPath)
			}
		}
	}
	recordDir := filepath.Dir(recordPath)
	for _, d := range rec.Paths(record.Dir) {
		err := os.Remove(Rooted(root, d))
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			rec.Remove(d)
			continue
		}
		if purge && d != recordDir && !strings.HasPrefix(recordDir, d+"/") {
			if entries, rerr := os.ReadDir(Rooted(root, d)); rerr == nil && len(entries) > 0 {
				names := make([]string, len(entries))
				for i, e := range entries {
					names[i] = e.Name()
				}
				log.Warn().Str("path", d).Msgf("kept %s: it holds %s, which hotstack-os did not create", d, strings.Join(names, ", "))
				rec.Remove(d) // said; after a purge it is the operator's
			}
		}
	}
	// The record's own directories go last, with the record, once nothing
	// else is recorded.
	ownDir := func(p string) bool { return p == recordDir || strings.HasPrefix(recordDir, p+"/") }
	for _, p := range rec.All() {
		if k, _ := rec.Has(p); k != record.Dir || !ownDir(p) {
			return removed, rec.Write(root, recordPath)
		}
	}
	if err := os.Remove(Rooted(root, recordPath)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return removed, err
	}
	for _, d := range rec.Paths(record.Dir) {
		_ = os.Remove(Rooted(root, d)) // only if empty
	}
	return removed, nil
}

// checkPurge refuses a purge whose record lists a data directory that is,
// or holds, a system or home directory (a record edited by hand); nothing
// has been deleted when it does. Only data directories are checked: they are deleted with their content,
// while any other recorded directory is only ever removed when empty.
func checkPurge(rec *record.Record, recordPath string) error {
	for _, p := range rec.Paths(record.Data) {
		if msg := config.SystemDirProblem(p); msg != "" {
			return fmt.Errorf("refusing to purge: %s lists %s as a data directory, but %s; nothing was deleted", recordPath, p, msg)
		}
	}
	return nil
}

// checkMounts refuses a purge when any recorded data directory is, or
// holds, a mount point, before the first file is removed (removeTree
// checks again, for a mount made meanwhile).
func checkMounts(root string, rec *record.Record) error {
	for _, p := range rec.Paths(record.Data) {
		dir := Rooted(root, p)
		if _, err := os.Lstat(dir); err != nil {
			continue // gone: forgotten below
		}
		mounts, err := mountsIn(dir)
		if err != nil {
			return fmt.Errorf("purge %s: %w; nothing was deleted", dir, err)
		}
		if len(mounts) > 0 {
			return fmt.Errorf("refusing to purge %s: %s is a mount point (a file system or a bind mount); unmount it first; nothing was deleted", dir, strings.Join(mounts, ", "))
		}
	}
	return nil
}

// removeTree deletes dir and everything below it, unless a file system
// is mounted at dir or below it (an NFS volume still mounted, a bind
// mount): os.RemoveAll would delete what that mount shows, which is not
// ours. Such a mount is named in the error, and nothing is deleted.
func removeTree(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	mounts, err := mountsIn(dir)
	if err != nil {
		return fmt.Errorf("purge %s: %w", dir, err)
	}
	if len(mounts) > 0 {
		return fmt.Errorf("refusing to purge %s: %s is a mount point (a file system or a bind mount); unmount it first", dir, strings.Join(mounts, ", "))
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("purge %s: %w", dir, err)
	}
	return nil
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
func Rooted(root, path string) string { return record.Rooted(root, path) }

func manifestData(paths []string) []byte {
	var b strings.Builder
	b.WriteString("# Files written by hotstack-os install; `mage uninstall` removes exactly these.\n")
	for _, p := range paths {
		b.WriteString(p + "\n")
	}
	return []byte(b.String())
}
