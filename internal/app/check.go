package app

import (
	"context"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// Check validates the .env and, unless HOTSTACK_SKIP_IMAGE_CHECK=1, that
// every image exists. It writes nothing.
func (a *App) Check(ctx context.Context) error {
	_, err := a.checked(ctx)
	return err
}

// checked is Check, returning what it validated and rendered. config,
// install and plan start from it, so one run loads the .env and checks the
// images once.
func (a *App) checked(ctx context.Context) (*rendering, error) {
	r, err := a.prepare(ctx)
	if err != nil {
		return nil, err
	}
	a.o.Log.Info().Msgf("check: %s is valid", r.cfg.File)
	return r, nil
}

// rendering is everything a run derives from the .env, in memory: the
// rendered templates, then the units (whose fingerprints cover those
// templates), and what podman has of the images the units name.
type rendering struct {
	cfg     *config.Config
	release stack.Release // the .env's, checked against the cloud's data
	configs []units.File  // the templates, rendered for the data directory
	units   *units.Rendered
	images  map[string]images.Info // by reference; only those podman has
}

// files are everything install writes but the helper binary, the manifest
// and the record.
func (r *rendering) files() []units.File {
	return append(append([]units.File{}, r.units.Files...), r.configs...)
}

// imageIDs maps each image reference podman has to its ID.
func (r *rendering) imageIDs() map[string]string {
	out := map[string]string{}
	for ref, info := range r.images {
		out[ref] = info.ID
	}
	return out
}

// prepare loads and validates the config, renders the templates and the
// units, and reads the images the units name in one `podman image
// inspect`: a missing one is an error unless HOTSTACK_SKIP_IMAGE_CHECK=1
// (which skips the inspect too).
func (a *App) prepare(ctx context.Context) (*rendering, error) {
	cfg, rel, err := a.configRelease()
	if err != nil {
		return nil, err
	}
	if err := a.checkDataRelease(cfg, rel); err != nil {
		return nil, err
	}
	configs, err := a.configFiles(cfg)
	if err != nil {
		return nil, err
	}
	key, err := a.key()
	if err != nil {
		return nil, err
	}
	rendered, err := units.Render(cfg, a.o.Stack, a.o.Paths, units.Inputs{
		Key: key, Configs: configs, Libvirt: install.LibvirtUnits(a.o.Root)})
	if err != nil {
		return nil, err
	}
	r := &rendering{cfg: cfg, release: rel, configs: configs, units: rendered, images: map[string]images.Info{}}
	if !a.o.SkipImageCheck {
		missing, have, err := install.MissingImages(ctx, a.o.Runner, cfg, a.o.Stack)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, install.MissingImagesError(missing)
		}
		r.images = have
	}
	return r, nil
}

// loadKey is the fingerprint key: the installed one, or, before the first
// install, a new one (which that install writes). Once per run.
func (a *App) loadKey() ([]byte, error) {
	key, err := install.ReadKey(a.o.Root, a.o.Paths.KeyFile())
	if err != nil || key != nil {
		return key, err
	}
	return install.NewKey()
}
