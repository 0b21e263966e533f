package app

import (
	"context"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// Install checks (as Check) and renders the configuration (as Config),
// then writes the units, the installed config, the secrets file, the
// fingerprint key, the rendered templates and the helper binary, all or
// nothing, reloading systemd when a unit changed and enabling
// hotstack-os.target (so the stack starts at boot) on the live system.
// The .env is loaded and the images checked once. A repeated install with
// the same input writes nothing.
func (a *App) Install(ctx context.Context) error {
	r, err := a.checked(ctx)
	if err != nil {
		return err
	}
	_, err = a.install(ctx, r)
	return err
}

// install writes what r renders, with the helper binary (see Install).
func (a *App) install(ctx context.Context, r *rendering) (step.Summary, error) {
	files, err := a.withHelper(ctx, r.files())
	if err != nil {
		return step.Summary{}, err
	}
	sum, err := a.write(ctx, files)
	if err != nil {
		return sum, err
	}
	a.summary("install", sum)
	if !a.o.Live() {
		return sum, nil
	}
	if len(sum.Changed) > 0 && a.unitsChanged(sum) {
		if err := a.reload(ctx); err != nil {
			return sum, err
		}
		a.o.Log.Info().Msg("systemd reloaded")
	}
	return sum, a.enableTarget(ctx)
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

// enableTarget enables hotstack-os.target (WantedBy=multi-user.target),
// which wants every unit: the stack starts at boot. Nothing changes when
// it is enabled already.
func (a *App) enableTarget(ctx context.Context) error {
	mgr, err := a.o.Systemd(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	state, err := mgr.UnitFileState(ctx, stack.TargetName)
	if err != nil || state == "enabled" {
		return err
	}
	changed, err := mgr.Enable(ctx, stack.TargetName)
	if err != nil {
		return err
	}
	if changed {
		if err := mgr.Reload(ctx); err != nil {
			return err
		}
	}
	a.o.Log.Info().Msgf("enabled %s: the stack starts at boot", stack.TargetName)
	return nil
}
