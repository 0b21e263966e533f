package app

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/internal/install"
)

// Images builds every image the units name from Debian's packages
// (`mage images`); images whose recipe did not change are kept.
func (a *App) Images(ctx context.Context) error {
	a.crunCgroups(ctx)
	start := time.Now()
	b := images.Builder{Runner: a.o.Runner, Cache: a.o.ImageCache, Mirror: a.o.DebianMirror, Force: a.o.ForceImages, Progress: a.o.Stderr}
	results, err := b.Build(ctx, images.Recipes(a.o.Stack))
	built := 0
	for _, r := range results {
		if r.Built {
			built++
		}
	}
	if err != nil {
		return err
	}
	if built == 0 {
		a.o.Log.Info().Msgf("images: all %d up to date (%s)", len(results), time.Since(start).Round(time.Millisecond))
	} else {
		a.o.Log.Info().Msgf("images: %d built, %d up to date, in %s", built, len(results)-built, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// ImagesMissing builds the images the units name that podman does not have
// (mage up's first step, through mg.Deps). An image podman has under a
// unit's name is kept whatever its label: an operator's own image, or a
// test's stand-in, is never rebuilt (`mage images` rebuilds those whose
// recipe changed). A missing image no recipe builds is an error naming the
// services that need it. One `podman image inspect` when nothing is
// missing.
func (a *App) ImagesMissing(ctx context.Context) error {
	if a.o.SkipImageCheck {
		return nil
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	missing, _, err := install.MissingImages(ctx, a.o.Runner, cfg, a.o.Stack)
	if err != nil {
		return err
	}
	// The test guest is no unit's image, but up's post-setup uploads it
	// for the smoke and for users' first server.
	if a.o.Live() && a.o.PostSetup {
		if _, err := a.o.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"image", "exists", guest.Image}}); err != nil {
			if missing == nil {
				missing = map[string][]string{}
			}
			missing[guest.Image] = []string{"post-setup (the test guest)"}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	recipes, unknown := images.For(images.Recipes(a.o.Stack), slices.Sorted(maps.Keys(missing)))
	if len(unknown) > 0 {
		only := map[string][]string{}
		for _, img := range unknown {
			only[img] = missing[img]
		}
		return install.MissingImagesError(only)
	}
	a.crunCgroups(ctx)
	start := time.Now()
	a.o.Log.Info().Msgf("images: %d missing (%s); building them", len(missing), strings.Join(slices.Sorted(maps.Keys(missing)), ", "))
	b := images.Builder{Runner: a.o.Runner, Cache: a.o.ImageCache, Mirror: a.o.DebianMirror, OnlyMissing: true, Progress: a.o.Stderr}
	results, err := b.Build(ctx, recipes)
	if err != nil {
		return err
	}
	built := 0
	for _, r := range results {
		if r.Built {
			built++
		}
	}
	a.o.Log.Info().Msgf("images: %d built in %s", built, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// crunCgroups gives the hugetlb controller its own cgroup v1 hierarchy
// when cgroup2 holds it beside v1 hierarchies (hosts of this project's
// kind booted without systemd): crun refuses that hybrid layout ("cgroups
// in hybrid mode not supported"), so podman could build or run nothing.
// It acts once per boot, as root, and says so; `mage doctor` names the
// same fix.
func (a *App) crunCgroups(ctx context.Context) {
	controllers, err := os.ReadFile("/sys/fs/cgroup/unified/cgroup.controllers")
	if err != nil || !strings.Contains(string(controllers), "hugetlb") || os.Geteuid() != 0 {
		return
	}
	a.o.Log.Info().Msg("podman: this host's hybrid cgroups hold hugetlb in cgroup2, which crun refuses; mounting hugetlb's own hierarchy at /sys/fs/cgroup/hugetlb (once per boot)")
	_ = os.MkdirAll("/sys/fs/cgroup/hugetlb", 0o755)
	if _, err := a.o.Runner.Run(ctx, execx.Command{Name: "mount", Args: []string{"-t", "cgroup", "-o", "hugetlb", "cgroup", "/sys/fs/cgroup/hugetlb"}}); err != nil {
		a.o.Log.Warn().Msgf("podman: mount the hugetlb cgroup hierarchy: %v (continuing)", err)
	}
}
