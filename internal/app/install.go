package app

import (
	"context"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/units"
)

// Install checks (as Check) and renders the configuration (as Config),
// then writes the units, the installed config, the secrets file, the
// rendered templates and the helper binary, all or nothing, reloading
// systemd when a unit changed on the live system. The .env is loaded and
// the images checked once. A repeated install with the same input writes
// nothing.
func (a *App) Install(ctx context.Context) error {
	_, err := a.install(ctx)
	return err
}

func (a *App) install(ctx context.Context) (step.Summary, error) {
	files, err := a.installFiles(ctx)
	if err != nil {
		return step.Summary{}, err
	}
	sum, err := a.write(ctx, files)
	if err != nil {
		return sum, err
	}
	a.summary("install", sum)
	if len(sum.Changed) > 0 && a.o.Live() && a.unitsChanged(sum) {
		if err := a.reload(ctx); err != nil {
			return sum, err
		}
		a.o.Log.Info().Msg("systemd reloaded")
	}
	return sum, nil
}

// installFiles renders, in memory, everything install writes besides the
// manifest and the record: units, installed config, secrets, rendered
// templates and the helper binary. Nothing is written before all of it is
// ready.
func (a *App) installFiles(ctx context.Context) ([]units.File, error) {
	cfg, files, err := a.checked(ctx)
	if err != nil {
		return nil, err
	}
	configFiles, err := a.configFiles(cfg)
	if err != nil {
		return nil, err
	}
	return a.withHelper(ctx, append(files, configFiles...))
}

// withHelper adds the helper binary to the files install writes.
func (a *App) withHelper(ctx context.Context, files []units.File) ([]units.File, error) {
	helper, err := a.o.BuildHelper(ctx)
	if err != nil {
		return nil, err
	}
	return append(files, units.File{Path: a.o.Paths.Helper, Data: helper, Mode: 0o755}), nil
}

func (a *App) unitsChanged(sum step.Summary) bool {
	for _, path := range sum.Changed {
		if strings.HasPrefix(path, a.o.Paths.UnitDir+"/") {
			return true
		}
	}
	return false
}

// reload makes systemd read the unit files again.
func (a *App) reload(ctx context.Context) error {
	mgr, err := a.o.Systemd(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	return mgr.Reload(ctx)
}
