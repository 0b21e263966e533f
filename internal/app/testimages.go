package app

import (
	"context"

	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
)

// TestTarget is `mage test`'s target: run is the test runner
// (internal/testrun.Run), which lives outside this package so that the
// application holds no test runner, and which this package does not
// import. It gets from the app only the builder of the images its tiers
// use; the app still parses the switches and reports the error, as for
// every target.
func TestTarget(run func(ctx context.Context, buildImages func(context.Context) error) error) Target {
	return func(a *App, ctx context.Context) error { return run(ctx, a.buildTestImages) }
}

// buildTestImages builds the images `mage test` needs. Images also makes
// the host's cgroups usable by crun. Built from their recipes only: a
// check for package updates would make a run's images and its length
// depend on the day's archive. Every release's OpenStack images: the
// configuration test validates each release's files against its own
// packages. The e2e tiers run the default release, so only its images are
// built whole (the others' infrastructure and guest would only cost CI
// minutes).
func (a *App) buildTestImages(ctx context.Context) error {
	for _, rel := range stack.Releases() {
		var only []string
		if rel.Name != stack.DefaultRelease {
			only = images.OpenStackImages(images.Recipes(a.o.Stack, rel))
		}
		if err := a.buildImages(ctx, rel, false, only); err != nil {
			return err
		}
	}
	return nil
}
