package app

import (
	"context"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// Config checks (as Check), then renders the configuration templates into
// the data directory's runtime/ tree. All templates are checked before any
// is written; unchanged files are not touched.
func (a *App) Config(ctx context.Context) error {
	cfg, _, err := a.checked(ctx)
	if err != nil {
		return err
	}
	return a.renderConfig(ctx, cfg)
}

func (a *App) templates() install.Templates {
	return install.Templates{ConfigsDir: a.o.ConfigsDir, ScriptsDir: a.o.ScriptsDir}
}

func (a *App) renderConfig(ctx context.Context, cfg *config.Config) error {
	files, missing, err := install.ConfigFiles(cfg, a.templates())
	if err != nil {
		return err
	}
	for _, dir := range missing {
		a.o.Log.Warn().Msgf("config: template directory %s does not exist; skipped", dir)
	}
	sum, err := step.Run(ctx, install.Steps(a.o.Root, files), a.logWritten)
	if err != nil {
		return err
	}
	if len(sum.Changed) == 0 {
		a.o.Log.Info().Msgf("config: unchanged (%d files already up to date)", len(sum.Unchanged))
	} else {
		a.o.Log.Info().Msgf("config: %d written, %d unchanged", len(sum.Changed), len(sum.Unchanged))
	}
	return nil
}

// logWritten reports each file a step wrote.
func (a *App) logWritten(s step.Step, c *step.Change) {
	if c != nil {
		a.o.Log.Info().Str("path", c.Target).Msg("written")
	}
}
