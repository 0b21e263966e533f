package deploy

import (
	"context"

	"fmt"
	"github.com/hotstack-os/hotstack-os/config"
	"strings"

	"github.com/hotstack-os/hotstack-os/units"
)

// Install validates the config, renders every file, checks the images, and
// only then writes, reloading systemd when a unit changed on the live
// system. A repeated install with the same input writes nothing.
func Install(ctx context.Context, o Options) (units.InstallResult, error) {
	files, err := Planned(ctx, o)
	if err != nil {
		return units.InstallResult{}, err
	}
	res, err := units.Install(o.Root, files, o.Paths.ManifestFile())
	if err != nil {
		return res, err
	}
	for _, p := range res.Written {
		o.Log.Info().Str("path", units.Rooted(o.Root, p)).Msg("written")
	}
	if !res.Changed() {
		o.Log.Info().Msgf("install: unchanged (%d files already up to date)", len(res.Unchanged))
		return res, nil
	}
	o.Log.Info().Msgf("install: %d written, %d unchanged", len(res.Written), len(res.Unchanged))
	if o.Live() && unitsChanged(res, o.Paths) {
		mgr, err := o.Systemd(ctx)
		if err != nil {
			return res, err
		}
		defer mgr.Close()
		if err := mgr.Reload(ctx); err != nil {
			return res, err
		}
		o.Log.Info().Msg("systemd reloaded")
	}
	return res, nil
}

// Planned returns every file install would write, after validating the
// config and (unless skipped) the images. It writes nothing.
func Planned(ctx context.Context, o Options) ([]units.File, error) {
	_, files, err := prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	helper, err := o.BuildHelper(ctx)
	if err != nil {
		return nil, err
	}
	return append(files, units.File{Path: o.Paths.Helper, Data: helper, Mode: 0o755}), nil
}

// prepare loads and validates the config, renders the units and, unless
// skipped, checks that every image exists.
func prepare(ctx context.Context, o Options) (*config.Config, []units.File, error) {
	cfg, err := o.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	files, err := units.Render(cfg, o.Stack, o.Paths)
	if err != nil {
		return nil, nil, err
	}
	if !o.SkipImageCheck {
		missing, err := MissingImages(ctx, o.Runner, cfg, o.Stack)
		if err != nil {
			return nil, nil, err
		}
		if len(missing) > 0 {
			return nil, nil, missingImagesError(missing)
		}
	}
	return cfg, files, nil
}

func unitsChanged(res units.InstallResult, p units.Paths) bool {
	for _, w := range res.Written {
		if strings.HasPrefix(w, p.UnitDir+"/") {
			return true
		}
	}
	return false
}

// Uninstall stops and disables the stack (live system only), removes
// exactly the files the manifest lists, and reloads systemd. Data under
// HOTSTACK_DATA_DIR stays unless Purge is set.
func Uninstall(ctx context.Context, o Options) error {
	manifest := o.Paths.ManifestFile()
	paths, err := units.ReadManifest(o.Root, manifest)
	if err != nil {
		return err
	}
	if len(paths) == 0 && !o.Purge {
		o.Log.Info().Msg("uninstall: nothing installed (no manifest); nothing to do")
		return nil
	}
	var dataDir string
	if o.Purge {
		// The installed config names the data directory the stack used.
		dataDir = installedDataDir(o)
	}
	if o.Live() && len(paths) > 0 {
		if err := stopAndDisable(ctx, o); err != nil {
			return err
		}
	}
	if o.Live() && o.Purge {
		if err := purgeHost(ctx, o); err != nil {
			return err
		}
	}
	removed, err := units.Uninstall(o.Root, manifest)
	if err != nil {
		return err
	}
	o.Log.Info().Msgf("uninstall: removed %d file(s)", len(removed))
	if o.Live() && len(removed) > 0 {
		mgr, err := o.Systemd(ctx)
		if err != nil {
			return err
		}
		defer mgr.Close()
		if err := mgr.Reload(ctx); err != nil {
			return err
		}
	}
	if o.Purge && dataDir != "" {
		return purgeData(o, dataDir)
	}
	return nil
}

func stopAndDisable(ctx context.Context, o Options) error {
	mgr, err := o.Systemd(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	if st, err := mgr.State(ctx, "hotstack-os.target"); err == nil && st.Load == "loaded" {
		if err := mgr.Stop(ctx, "hotstack-os.target"); err != nil {
			return fmt.Errorf("stop the stack before uninstalling: %w", err)
		}
		// Units outside the target's stop job (started by hand) too.
		for _, svc := range o.Stack.Services() {
			_ = mgr.Stop(ctx, unitName(svc.Name))
		}
		if err := mgr.Disable(ctx, "hotstack-os.target"); err != nil {
			return err
		}
	}
	return nil
}

// Check validates the config and, unless skipped, the images. It writes
// nothing.
func Check(ctx context.Context, o Options) error {
	cfg, _, err := prepare(ctx, o)
	if err != nil {
		return err
	}
	o.Log.Info().Msgf("check: %s is valid", cfg.File)
	return nil
}
