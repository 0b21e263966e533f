package plan

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hotstack-os/hotstack-os/units"
)

// File compares a file install would write with what is on disk under root
// and records the change, if any. Secret files (secrets.env) and secret
// values elsewhere are masked in the diff.
func (p *Plan) File(root string, f units.File, secrets []string) error {
	path := units.Rooted(root, f.Path)
	cur, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		p.Add(Change{Section: "files", Action: "create", Target: path, Detail: fmt.Sprintf("mode %04o, %d bytes", f.Mode.Perm(), len(f.Data))})
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	modeChanged := fi.Mode().Perm() != f.Mode.Perm()
	if bytes.Equal(cur, f.Data) && !modeChanged {
		return nil
	}
	var detail string
	if modeChanged {
		detail = fmt.Sprintf("mode %04o -> %04o\n", fi.Mode().Perm(), f.Mode.Perm())
	}
	if !bytes.Equal(cur, f.Data) {
		oldShown, newShown := cur, f.Data
		if f.Secret {
			oldShown, newShown = MaskEnvFile(cur, nil), MaskEnvFile(f.Data, cur)
		}
		detail += Mask(Diff(f.Path, oldShown, newShown), secrets)
	}
	p.Add(Change{Section: "files", Action: "update", Target: path, Detail: detail})
	return nil
}
