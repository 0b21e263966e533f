package install

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/record"
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

// ActiveUnits returns the hotstack-os units systemd has loaded and not
// stopped (active, activating, deactivating, reloading), the target
// first. It asks systemctl, not the manifest: units still run after
// their files or the manifest are gone.
func ActiveUnits(ctx context.Context, r execx.Runner) ([]string, error) {
	out, err := execx.Output(ctx, r, "systemctl", "list-units", "--all", "--plain", "--no-legend", "--full", "hotstack-os*")
	if err != nil {
		return nil, fmt.Errorf("list the hotstack-os units: %w", err)
	}
	var units []string
	for _, line := range strings.Split(out, "\n") {
		// UNIT LOAD ACTIVE SUB DESCRIPTION
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[0], "hotstack-os") || f[2] == "inactive" || f[2] == "failed" {
			continue
		}
		units = append(units, f[0])
	}
	slices.SortStableFunc(units, func(a, b string) int {
		return cmp.Compare(unitOrder(a), unitOrder(b))
	})
	return units, nil
}

// unitOrder puts the target before the services: stopping it first keeps
// it from starting them again.
func unitOrder(unit string) int {
	if strings.HasSuffix(unit, ".target") {
		return 0
	}
	return 1
}

// PurgeDirs returns the data directories the record at recordPath lists
// that exist under root: what a purge deletes with their content. It
// refuses a record that lists a system or home directory.
func PurgeDirs(root, recordPath string) ([]string, error) {
	rec, err := record.Read(Rooted(root, recordPath))
	if err != nil {
		return nil, err
	}
	if err := checkPurge(rec, recordPath); err != nil {
		return nil, err
	}
	var dirs []string
	for _, p := range rec.Paths(record.Data) {
		if _, err := os.Lstat(Rooted(root, p)); err == nil {
			dirs = append(dirs, p)
		}
	}
	slices.Sort(dirs)
	return dirs, nil
}
