package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// RemoveContainers removes every hotstack-os container, running or not.
func RemoveContainers(ctx context.Context, r execx.Runner, log zerolog.Logger) error {
	out, err := execx.Output(ctx, r, "podman", "ps", "-a", "--format", "{{.Names}}")
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	for _, name := range strings.Fields(out) {
		if strings.HasPrefix(name, "hotstack-os-") {
			if _, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"rm", "-f", name}}); err != nil {
				return fmt.Errorf("remove container %s: %w", name, err)
			}
			log.Info().Str("container", name).Msg("removed container")
		}
	}
	return nil
}

// PurgeData deletes the data directory dir under root. It refuses paths
// that could not be a dedicated data directory (/, or one level below it).
func PurgeData(root, dir string, log zerolog.Logger) error {
	clean := filepath.Clean(dir)
	if !filepath.IsAbs(clean) || strings.Count(clean, "/") < 2 {
		return fmt.Errorf("refusing to purge %q: not a dedicated data directory", dir)
	}
	target := Rooted(root, clean)
	if err := os.RemoveAll(target); err != nil {
		return fmt.Errorf("purge %s: %w", target, err)
	}
	log.Info().Str("path", target).Msg("purged data directory")
	return nil
}
