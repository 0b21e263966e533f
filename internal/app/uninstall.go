package app

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/download"
	"github.com/hotstack-os/hotstack-os/internal/host"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Uninstall stops and disables the stack (live system only), removes
// exactly the files the manifest lists and the directories install created
// once empty, and reloads systemd. Data under HOTSTACK_DATA_DIR stays
// unless HOTSTACK_PURGE=1, which also removes nova's libvirt domains, the
// containers, the podman network, the bridges, and the data directories
// infra:setup created (and nothing it did not: see internal/record). A
// purge first lists what it deletes and goes on only when confirmed (see
// confirmPurge); until then it changes nothing, not even the units.
func (a *App) Uninstall(ctx context.Context) error {
	o := a.o
	manifest := o.Paths.ManifestFile()
	paths, err := install.ReadManifest(o.Root, manifest)
	if err != nil {
		return err
	}
	recordPath := o.Paths.RecordFile()
	if _, statErr := os.Stat(install.Rooted(o.Root, recordPath)); len(paths) == 0 && !o.Purge && statErr != nil {
		o.Log.Info().Msg("uninstall: nothing installed (no manifest); nothing to do")
		return nil
	}
	var dataDirs []string
	if o.Purge {
		plan, err := a.planPurge(ctx, recordPath, len(paths))
		if err != nil {
			return err
		}
		a.sayPurgePlan(plan)
		if err := a.confirmPurge(ctx); err != nil {
			return err
		}
		dataDirs = plan.configured
	}
	switch {
	case o.Live() && o.Purge:
		// Even without a manifest: units, containers and guests may still
		// run, and would go on writing to what the purge deletes.
		if err := a.clearHost(ctx); err != nil {
			return err
		}
	case o.Live() && len(paths) > 0:
		o.Log.Info().Msgf("uninstall: stopping %s and its %d services", stack.TargetName, len(o.Stack.Services()))
		if err := a.stopStack(ctx); err != nil {
			return err
		}
	}
	removed, err := install.Remove(o.Root, manifest, recordPath, o.Purge, dataDirs, o.Log)
	if err != nil {
		return err
	}
	o.Log.Info().Msgf("uninstall: removed %d file(s): units, configuration, secrets and the helper", len(removed))
	if o.Live() && len(removed) > 0 {
		if err := a.reload(ctx); err != nil {
			return err
		}
	}
	if !o.Purge {
		a.sayKept()
	}
	return nil
}

// sayKept tells what an uninstall without purge left on the host, and how
// to remove it.
func (a *App) sayKept() {
	cfg, err := a.installedConfig()
	if err != nil {
		return
	}
	var kept []string
	dir := cfg.Get("HOTSTACK_DATA_DIR")
	if size, err := treeSize(install.Rooted(a.o.Root, dir)); err == nil {
		kept = append(kept, fmt.Sprintf("the data in %s (%s)", dir, humanBytes(size)))
	}
	if size, err := treeSize(a.path(download.DefaultDir)); err == nil && size > 0 {
		kept = append(kept, fmt.Sprintf("the downloaded images in %s (%s; delete it by hand)", download.DefaultDir, humanBytes(size)))
	}
	if a.o.Live() {
		kept = append(kept, "the Open vSwitch bridges "+host.IntegrationBridge+" and "+host.ExternalBridge, "the podman network "+host.NetworkName, "the containers' images")
	}
	if len(kept) == 0 {
		return
	}
	a.o.Log.Info().Msgf("uninstall: kept %s; `HOTSTACK_PURGE=1 mage uninstall` removes all but the images (`podman rmi` those)", strings.Join(kept, ", "))
}

// treeSize is the bytes of the regular files under dir.
func treeSize(dir string) (int64, error) {
	var size int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	return size, err
}

// humanBytes is n in the largest unit that keeps it at least 1.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
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

// stopAndDisable stops and disables the target, and the services it
// lists, when systemd has it loaded.
func (a *App) stopAndDisable(ctx context.Context, mgr systemd.Manager) error {
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
