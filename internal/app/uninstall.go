package app

import (
	"context"
	"fmt"
	"os"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Uninstall stops and disables the stack (live system only), removes
// exactly the files the manifest lists and the directories install created
// once empty, and reloads systemd. Data under HOTSTACK_DATA_DIR stays
// unless HOTSTACK_PURGE=1, which also removes the containers, the podman
// network, the bridges, and the data directories infra:setup created (and
// nothing it did not: see internal/record).
func (a *App) Uninstall(ctx context.Context) error {
	o := a.o
	manifest := o.Paths.ManifestFile()
	paths, err := install.ReadManifest(o.Root, manifest)
	if err != nil {
		return err
	}
	recordPath := install.RecordFile(o.Paths)
	if _, statErr := os.Stat(install.Rooted(o.Root, recordPath)); len(paths) == 0 && !o.Purge && statErr != nil {
		o.Log.Info().Msg("uninstall: nothing installed (no manifest); nothing to do")
		return nil
	}
	var dataDirs []string
	if o.Purge {
		if err := install.CheckPurge(o.Root, recordPath); err != nil {
			return err
		}
		// The installed config names the directories the stack used; a
		// config that no longer validates stops the purge here.
		cfg, err := a.installedConfig()
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		dataDirs = a.host(cfg).DataDirs()
	}
	if o.Live() && len(paths) > 0 {
		if err := a.stopAndDisable(ctx); err != nil {
			return err
		}
	}
	if o.Live() && o.Purge {
		if err := a.purgeHost(ctx); err != nil {
			return err
		}
	}
	removed, err := install.Remove(o.Root, manifest, recordPath, o.Purge, dataDirs, o.Log)
	if err != nil {
		return err
	}
	o.Log.Info().Msgf("uninstall: removed %d file(s)", len(removed))
	if o.Live() && len(removed) > 0 {
		if err := a.reload(ctx); err != nil {
			return err
		}
	}
	return nil
}

// installedConfig is the config the stack was installed with, or else the
// operator's .env.
func (a *App) installedConfig() (*config.Config, error) {
	cfg, err := config.Load(install.Rooted(a.o.Root, a.o.Paths.ConfigFile()), a.o.Stack.Schema(), config.Options{AllowEmptySecrets: true})
	if err == nil {
		return cfg, nil
	}
	return a.config()
}

func (a *App) stopAndDisable(ctx context.Context) error {
	mgr, err := a.o.Systemd(ctx)
	if err != nil {
		return err
	}
	defer mgr.Close()
	if st, err := mgr.State(ctx, stack.TargetName); err == nil && st.Load == "loaded" {
		if err := mgr.Stop(ctx, stack.TargetName); err != nil {
			return fmt.Errorf("stop the stack before uninstalling: %w", err)
		}
		// Units outside the target's stop job (started by hand) too.
		for _, svc := range a.o.Stack.Services() {
			_ = mgr.Stop(ctx, stack.UnitName(svc.Name))
		}
		if err := mgr.Disable(ctx, stack.TargetName); err != nil {
			return err
		}
	}
	return nil
}

// purgeHost removes what the stack created on the host beyond files: its
// containers, the podman network and the bridges (the infra oneshot's own
// cleanup at stop keeps those, as it runs without HOTSTACK_PURGE).
func (a *App) purgeHost(ctx context.Context) error {
	if err := install.RemoveContainers(ctx, a.o.Runner, a.o.Log); err != nil {
		return err
	}
	cfg, err := a.installedConfig()
	if err != nil {
		return err
	}
	h := a.host(cfg)
	h.Purge = true
	_, err = h.Cleanup(ctx)
	return err
}
