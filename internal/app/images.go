package app

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Images builds every image the units name from Debian's packages
// (`mage images`): those whose recipe changed, and, unless
// HOTSTACK_IMAGE_UPDATES=0, those with package updates in the archive and
// the images built on them. The check is recorded for `mage status`.
func (a *App) Images(ctx context.Context) error {
	_, rel, err := a.configRelease()
	if err != nil {
		return err
	}
	return a.buildImages(ctx, rel, a.o.ImageUpdates, nil)
}

// buildImages builds a release's images: every one, or those of only
// (references) and the images they are built on.
func (a *App) buildImages(ctx context.Context, rel stack.Release, checkUpdates bool, only []string) error {
	a.crunCgroups(ctx)
	start := time.Now()
	a.o.Log.Info().Msgf("images: OpenStack %s", rel)
	recipes := images.Recipes(a.o.Stack, rel)
	if only != nil {
		recipes, _ = images.For(recipes, only)
	}
	b := images.Builder{Runner: a.o.Runner, Cache: a.o.ImageCache, Mirror: a.o.DebianMirror, Force: a.o.ForceImages, Progress: a.o.Stderr}
	var check *images.UpdateRecord
	// Forced, every image is rebuilt anyway.
	if checkUpdates && !b.Force {
		check = a.checkUpdates(ctx, &b, recipes)
	}
	results, err := b.Build(ctx, recipes)
	a.recordUpdates(check, results)
	if err != nil {
		return err
	}
	built := 0
	for _, r := range results {
		if r.Built {
			built++
		}
	}
	if built == 0 {
		a.o.Log.Info().Msgf("images: all %d up to date (%s)", len(results), time.Since(start).Round(time.Millisecond))
	} else {
		a.o.Log.Info().Msgf("images: %d built, %d up to date, in %s", built, len(results)-built, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// checkUpdates finds the images with package updates and has b rebuild
// them. A failed check (no network, say) is a warning: the images are
// still built from their recipes, and the last record is kept.
func (a *App) checkUpdates(ctx context.Context, b *images.Builder, recipes []images.Recipe) *images.UpdateRecord {
	start := time.Now()
	updates, err := b.CheckUpdates(ctx, recipes)
	if err != nil {
		a.o.Log.Warn().Msgf("images: checking for package updates failed, so no image is rebuilt for them this time: %v", err)
		return nil
	}
	b.Updates = updates
	took := time.Since(start).Round(100 * time.Millisecond)
	pending := updates.Pending()
	switch {
	case len(updates) == 0:
		// No image is current: each is built afresh from its recipe.
	case len(pending) == 0:
		a.o.Log.Info().Msgf("images: no package updates for the %d images checked (%s)", len(updates), took)
	default:
		var counts []string
		for _, img := range pending {
			counts = append(counts, fmt.Sprintf("%s %d", shortImage(img), len(updates[img])))
		}
		a.o.Log.Info().Msgf("images: package updates in %d of %d images (%s), checked in %s; rebuilding them and the images built on them",
			len(pending), len(updates), strings.Join(counts, ", "), took)
	}
	return &images.UpdateRecord{Checked: start, Images: updates}
}

// recordUpdates keeps the record `mage status` reads: the new check when
// there is one, else the last one, less the images just built, which hold
// the archive's newest packages.
func (a *App) recordUpdates(check *images.UpdateRecord, results []images.Result) {
	path := images.UpdateRecordFile(a.o.ImageCache)
	if check == nil {
		last, err := images.ReadUpdateRecord(path)
		if err != nil || !slices.ContainsFunc(results, func(r images.Result) bool { return r.Built }) {
			return // nothing recorded, or nothing to change
		}
		check = &last
	}
	check.Rebuilt(results)
	if err := check.Save(path); err != nil {
		a.o.Log.Warn().Msgf("images: record the package update check: %v", err)
	}
}

// shortImage names an image in a log line: hotstack-os-nova, not
// localhost/hotstack-os-nova:2025.1.
func shortImage(ref string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(ref, "localhost/"), ":")
	return name
}

// ImagesMissing builds the images the units name that podman does not have
// (mage up's first step, through mg.Deps). An image podman has under a
// unit's name is kept whatever its label: an operator's own image, or a
// test's stand-in, is never rebuilt (`mage images` rebuilds those whose
// recipe changed or that have package updates). A missing image no recipe builds is an error naming the
// services that need it. One `podman image inspect` when nothing is
// missing.
func (a *App) ImagesMissing(ctx context.Context) error {
	cfg, rel, err := a.configRelease()
	if err != nil {
		return err
	}
	// Another release's images are no use on this cloud: refuse before
	// minutes of building them.
	if err := a.checkDataRelease(cfg, rel); err != nil {
		return err
	}
	if a.o.SkipImageCheck {
		return nil
	}
	missing, _, err := install.MissingImages(ctx, a.o.Runner, cfg, a.o.Stack)
	if err != nil {
		return err
	}
	// The test guest is no unit's image, but up's post-setup uploads it
	// for the smoke and for users' first server.
	if a.o.Live() && a.o.PostSetup {
		if _, err := a.o.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"image", "exists", guest.Image(rel.Name)}}); err != nil {
			if missing == nil {
				missing = map[string][]string{}
			}
			missing[guest.Image(rel.Name)] = []string{"post-setup (the test guest)"}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	recipes, unknown := images.For(images.Recipes(a.o.Stack, rel), slices.Sorted(maps.Keys(missing)))
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
	a.recordUpdates(nil, results)
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
