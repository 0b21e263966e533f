package install

import (
	"context"
	"fmt"
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
