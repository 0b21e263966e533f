package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/units"
)

// Steps returns one step per file: create or update it under root. Each
// write is atomic, and a file that already holds the same bytes and mode is
// left alone, so a repeated install touches nothing.
func Steps(root string, files []units.File) []step.Step {
	out := make([]step.Step, len(files))
	for i, f := range files {
		out[i] = fileStep(root, f)
	}
	return out
}

func fileStep(root string, f units.File) step.Step {
	path := Rooted(root, f.Path)
	return step.Step{
		Name:  f.Path,
		Check: func(context.Context) (*step.Change, error) { return fileChange(path, f) },
		Apply: func(context.Context) error {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("create directory for %s: %w", path, err)
			}
			_, err := atomicfile.Write(path, f.Data, atomicfile.Options{Perm: f.Mode})
			return err
		},
	}
}

// fileChange compares the file f on disk at path with what f holds. The
// diff of a secret file (secrets.env) shows no value.
func fileChange(path string, f units.File) (*step.Change, error) {
	cur, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) { // ENOTDIR: a parent is a file; the write says so
		return &step.Change{Section: step.Files, Action: "create", Target: path, Detail: fmt.Sprintf("mode %04o, %d bytes", f.Mode.Perm(), len(f.Data))}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	modeChanged := fi.Mode().Perm() != f.Mode.Perm()
	if bytes.Equal(cur, f.Data) && !modeChanged {
		return nil, nil
	}
	var detail string
	if modeChanged {
		detail = fmt.Sprintf("mode %04o -> %04o\n", fi.Mode().Perm(), f.Mode.Perm())
	}
	if !bytes.Equal(cur, f.Data) {
		oldShown, newShown := cur, f.Data
		if f.Secret {
			oldShown, newShown = step.MaskEnvFile(cur, nil), step.MaskEnvFile(f.Data, cur)
		}
		detail += step.Diff(f.Path, oldShown, newShown)
	}
	return &step.Change{Section: step.Files, Action: "update", Target: path, Detail: detail}, nil
}
