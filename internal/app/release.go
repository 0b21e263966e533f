package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/stack"
)

// releaseFile records, beside the databases, the OpenStack release they
// were made with: it lives in MariaDB's data directory (a dotfile, which
// MariaDB ignores), so a purge removes it with the data it describes, and
// a backup of the directory carries it.
const releaseFile = ".hotstack-os-release"

// unrecordedRelease is the release of data made before releases were
// recorded: every earlier hotstack-os built Zed.
const unrecordedRelease = "zed"

// configRelease is the .env and the release it chooses.
func (a *App) configRelease() (*config.Config, stack.Release, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, stack.Release{}, err
	}
	rel, err := stack.ReleaseNamed(cfg.Get(stack.ReleaseKey))
	return cfg, rel, err
}

// mysqlDataDir is MariaDB's data directory on the host (staging root
// included), where the release is recorded.
func (a *App) mysqlDataDir(cfg *config.Config) string {
	return a.path(filepath.Join(cfg.Get("HOTSTACK_DATA_DIR"), "mysql"))
}

// dataRelease is the release the cloud's data was made with, and where
// that was read; "" when there is no data yet (MariaDB's system database
// is what its start-up creates first and checks for).
func (a *App) dataRelease(cfg *config.Config) (name, source string, err error) {
	dir := a.mysqlDataDir(cfg)
	if _, err := os.Stat(filepath.Join(dir, "mysql")); errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	} else if err != nil {
		return "", "", err
	}
	file := filepath.Join(dir, releaseFile)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return unrecordedRelease, "made before hotstack-os recorded releases, when it built Zed only", nil
	}
	if err != nil {
		return "", "", err
	}
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return line, "recorded in " + file, nil
		}
	}
	return "", "", fmt.Errorf("%s names no release; write the release this cloud was made with into it (%s), or delete it if the cloud was made before hotstack-os recorded releases (Zed)",
		file, strings.Join(stack.ReleaseNames(), ", "))
}

// checkDataRelease refuses a release other than the one the cloud's data
// was made with, before anything is built, installed or started: OpenStack
// upgrades one release at a time with its own migrations, never by
// starting new services on old data.
func (a *App) checkDataRelease(cfg *config.Config, want stack.Release) error {
	have, source, err := a.dataRelease(cfg)
	if err != nil || have == "" || have == want.Name {
		return err
	}
	data := filepath.Join(cfg.Get("HOTSTACK_DATA_DIR"), "mysql")
	return fmt.Errorf("%s=%s, but this cloud's data (%s) is OpenStack %s (%s). "+
		"OpenStack cannot move a cloud between these releases in place, so nothing was changed. "+
		"To keep this cloud, set %s=%s in %s. "+
		"To start again on %s: `mage backup` (a copy of the databases, keys, images and volumes), "+
		"then `HOTSTACK_PURGE=1 mage uninstall` (deletes the cloud's data), then `mage up`",
		stack.ReleaseKey, want.Name, data, have, source, stack.ReleaseKey, have, cfg.File, want.Name)
}

// recordRelease notes the release beside the databases once they exist
// (after the first MariaDB start) or their directory does (setup made it):
// a second up changes nothing.
func (a *App) recordRelease(cfg *config.Config, rel stack.Release) error {
	dir := a.mysqlDataDir(cfg)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil // staging without a data directory
	}
	_, err := atomicfile.Write(filepath.Join(dir, releaseFile), []byte(
		"# The OpenStack release this cloud's databases were made with (hotstack-os up writes it;\n"+
			"# .env's "+stack.ReleaseKey+" must name it).\n"+rel.Name+"\n"), atomicfile.Options{Perm: 0o644})
	return err
}
