package infra

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
)

// editFile applies edit to the file at path and writes the result
// atomically, keeping mode, owner and SELinux label (a symlink's target is
// edited; a bind-mounted file is rewritten in place). A missing file reads
// as empty and is created only if the edit produces content. When edit
// fails, nothing is written.
func editFile(path string, edit func([]byte) ([]byte, error)) (changed bool, before []byte, err error) {
	before, err = os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, nil, fmt.Errorf("read %s: %w", path, err)
	}
	exists := err == nil
	after, err := edit(before)
	if err != nil {
		return false, before, err
	}
	if bytes.Equal(before, after) && (exists || len(after) == 0) {
		return false, before, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, before, err
	}
	if _, err := atomicfile.Write(path, after, atomicfile.Options{Perm: 0o644, KeepMeta: true}); err != nil {
		return false, before, err
	}
	return true, before, nil
}
