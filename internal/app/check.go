package app

import (
	"context"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/units"
)

// Check validates the .env and, unless HOTSTACK_SKIP_IMAGE_CHECK=1, that
// every image exists. It writes nothing.
func (a *App) Check(ctx context.Context) error {
	_, _, err := a.checked(ctx)
	return err
}

// checked is Check, returning what it validated: the config and the
// rendered units. config and install start from it, so one run loads the
// .env and checks the images once.
func (a *App) checked(ctx context.Context) (*config.Config, []units.File, error) {
	cfg, files, err := a.prepare(ctx)
	if err != nil {
		return nil, nil, err
	}
	a.o.Log.Info().Msgf("check: %s is valid", cfg.File)
	return cfg, files, nil
}

// prepare loads and validates the config, renders the units and, unless
// skipped, checks that every image exists.
func (a *App) prepare(ctx context.Context) (*config.Config, []units.File, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	files, err := units.Render(cfg, a.o.Stack, a.o.Paths)
	if err != nil {
		return nil, nil, err
	}
	if !a.o.SkipImageCheck {
		missing, err := install.MissingImages(ctx, a.o.Runner, cfg, a.o.Stack)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) > 0 {
			return nil, nil, install.MissingImagesError(missing)
		}
	}
	return cfg, files, nil
}
