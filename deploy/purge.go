package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/infra"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

func unitName(svc string) string { return stack.UnitName(svc) }

// installedDataDir reads HOTSTACK_DATA_DIR from the installed config, falling
// back to the operator's .env.
func installedDataDir(o Options) string {
	cfg, err := installedConfig(o)
	if err != nil {
		return ""
	}
	return cfg.Get("HOTSTACK_DATA_DIR")
}

// installedConfig is the config the stack was installed with, or else the
// operator's .env.
func installedConfig(o Options) (*config.Config, error) {
	cfg, err := config.Load(units.Rooted(o.Root, o.Paths.ConfigFile()), o.Stack.Schema(), config.Options{AllowEmptySecrets: true})
	if err == nil {
		return cfg, nil
	}
	return o.LoadConfig()
}

// purgeHost removes what the stack created on the host beyond files: its
// containers, the podman network and the bridges (the infra oneshot's own
// cleanup at stop keeps those, as it runs without HOTSTACK_PURGE).
func purgeHost(ctx context.Context, o Options) error {
	out, err := execx.Output(ctx, o.Runner, "podman", "ps", "-a", "--format", "{{.Names}}")
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for _, name := range strings.Fields(out) {
		if strings.HasPrefix(name, "hotstack-os-") {
			if _, err := o.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"rm", "-f", name}}); err != nil {
				return fmt.Errorf("remove container %s: %w", name, err)
			}
			o.Log.Info().Str("container", name).Msg("removed container")
		}
	}
	cfg, err := installedConfig(o)
	if err != nil {
		return err
	}
	h := &infra.Host{Config: cfg, Runner: o.Runner, Log: o.Log, Root: o.Root, Purge: true}
	_, err = h.Cleanup(ctx)
	return err
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
