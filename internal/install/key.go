package install

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/hotstack-os/hotstack-os/units"
)

// ReadKey returns the fingerprint key installed at path under root; nil
// when there is none yet (the first install makes one, see NewKey).
func ReadKey(root, path string) ([]byte, error) {
	data, err := os.ReadFile(Rooted(root, path))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the fingerprint key: %w", err)
	}
	key, err := units.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("fingerprint key %s: %w; delete it and run mage install (every service then restarts once, on its next mage up)", path, err)
	}
	return key, nil
}

// NewKey returns a fresh random fingerprint key.
func NewKey() ([]byte, error) {
	key := make([]byte, units.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate the fingerprint key: %w", err)
	}
	return key, nil
}

// systemdEtc is where systemctl enable puts a unit's links.
const systemdEtc = "/etc/systemd/system"

// LibvirtUnits returns the libvirt units the infra unit should pull in on
// the host under root: the modular QEMU daemon's socket when the host has
// enabled the modular daemon (Fedora, RHEL 9 and later: a link to
// virtqemud.socket or virtqemud.service in a .wants directory of
// /etc/systemd/system), the monolithic daemon otherwise (Debian, Ubuntu).
// Both at once would conflict (see units.LibvirtUnits).
func LibvirtUnits(root string) []string {
	for _, name := range []string{"virtqemud.socket", "virtqemud.service"} {
		links, _ := filepath.Glob(filepath.Join(Rooted(root, systemdEtc), "*.wants", name))
		if len(links) > 0 {
			return []string{"virtqemud.socket"}
		}
	}
	return slices.Clone(units.DefaultLibvirt())
}
