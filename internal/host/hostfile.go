package host

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// fileEdit is a host file as it is and as an edit makes it.
type fileEdit struct {
	path          string
	before, after []byte
	exists        bool
	// remove: the edit leaves a file setup created with nothing in it;
	// it is deleted rather than left empty.
	remove bool
}

// readEdit reads the file at path (a missing file reads as empty) and
// applies edit to its content. It writes nothing.
func readEdit(path string, edit func([]byte) ([]byte, error)) (fileEdit, error) {
	e := fileEdit{path: path}
	var err error
	e.before, err = os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return e, fmt.Errorf("read %s: %w", path, err)
	}
	e.exists = err == nil
	e.after, err = edit(e.before)
	return e, err
}

// change is the edit for the plan; nil when it changes nothing. A missing
// file is created only if the edit gives it content.
func (e fileEdit) change() *step.Change {
	if e.remove {
		return &step.Change{Section: step.Host, Action: "remove", Target: e.path, Detail: step.Diff(e.path, e.before, nil)}
	}
	if bytes.Equal(e.before, e.after) && (e.exists || len(e.after) == 0) {
		return nil
	}
	action := "update"
	if !e.exists {
		action = "create"
	}
	return &step.Change{Section: step.Host, Action: action, Target: e.path, Detail: step.Diff(e.path, e.before, e.after)}
}

// write makes the file hold the edited content atomically, keeping mode,
// owner and SELinux label (a symlink's target is edited; a bind-mounted
// file is rewritten in place).
func (e fileEdit) write() error {
	if e.remove {
		return os.Remove(e.path)
	}
	if err := os.MkdirAll(filepath.Dir(e.path), 0o755); err != nil {
		return err
	}
	_, err := atomicfile.Write(e.path, e.after, atomicfile.Options{Perm: 0o644, KeepMeta: true})
	return err
}
