package app

import (
	"context"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/units"
)

// Config checks (as Check), then renders the configuration templates into
// the data directory's runtime/ tree, recording them in the manifest. All
// templates are checked before any is written, all are written or none,
// and unchanged files are not touched.
func (a *App) Config(ctx context.Context) error {
	r, err := a.checked(ctx)
	if err != nil {
		return err
	}
	sum, err := a.write(ctx, r.configs)
	if err != nil {
		return err
	}
	a.summary("config", sum)
	return nil
}

func (a *App) templates() install.Templates {
	return install.Templates{ConfigsDir: a.o.ConfigsDir, ScriptsDir: a.o.ScriptsDir}
}

// configFiles renders the templates, and checks that they provide every
// file the units mount.
func (a *App) configFiles(cfg *config.Config) ([]units.File, error) {
	files, err := install.ConfigFiles(cfg, a.templates())
	if err != nil {
		return nil, err
	}
	if err := install.CheckMounted(cfg, a.o.Stack, files, a.templates()); err != nil {
		return nil, err
	}
	return files, nil
}

// write installs files with the manifest and the record, all or nothing.
func (a *App) write(ctx context.Context, files []units.File) (step.Summary, error) {
	return install.Install(ctx, a.o.Root, files, a.o.Paths.ManifestFile(), a.o.Paths.RecordFile(), a.logWritten)
}

// summary logs what a write did.
func (a *App) summary(what string, sum step.Summary) {
	if len(sum.Changed) == 0 {
		a.o.Log.Info().Msgf("%s: unchanged (%d files already up to date)", what, len(sum.Unchanged))
	} else {
		a.o.Log.Info().Msgf("%s: %d written, %d unchanged", what, len(sum.Changed), len(sum.Unchanged))
	}
}

// logWritten reports each file a step wrote.
func (a *App) logWritten(s step.Step, c *step.Change) {
	if c != nil {
		a.o.Log.Info().Str("path", c.Target).Msg("written")
	}
}
