package app

import (
	"context"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/images"
)

// Images builds every image the units name from Debian's packages
// (`mage images`); images whose recipe did not change are kept.
func (a *App) Images(ctx context.Context) error {
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
