package deploy

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

func unitName(svc string) string { return stack.UnitName(svc) }

// installedDataDir reads HOTSTACK_DATA_DIR from the installed config, falling
// back to the operator's .env.
func installedDataDir(o Options) string {
	cfg, err := config.Load(units.Rooted(o.Root, o.Paths.ConfigFile()), o.Stack.Schema(), config.Options{AllowEmptySecrets: true})
	if err != nil {
		if cfg, err = o.LoadConfig(); err != nil {
			return ""
		}
	}
	return cfg.Get("HOTSTACK_DATA_DIR")
}

// purgeData deletes the data directory. It refuses paths that could not be
// a dedicated data directory.
func purgeData(o Options, dir string) error {
	clean := filepath.Clean(dir)
	if !filepath.IsAbs(clean) || len(splitPath(clean)) < 2 {
		return fmt.Errorf("refusing to purge %q: not a dedicated data directory", dir)
	}
	target := units.Rooted(o.Root, clean)
	if err := os.RemoveAll(target); err != nil {
		return fmt.Errorf("purge %s: %w", target, err)
	}
	o.Log.Info().Str("path", target).Msg("purged data directory")
	return nil
}

func splitPath(p string) []string {
	var out []string
	for p != "/" && p != "." {
		out = append(out, filepath.Base(p))
		p = filepath.Dir(p)
	}
	return out
}
