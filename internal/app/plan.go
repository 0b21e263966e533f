package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// Plan shows what install (and config), infra:setup and up would change,
// and changes nothing. Exit status: 0 nothing to do, 2 changes pending
// (ErrChangesPending), 1 error. Secret values never show.
func (a *App) Plan(ctx context.Context) error {
	p, err := a.plan(ctx)
	if err != nil {
		return err
	}
	p.Print(a.o.Stdout)
	if !p.Empty() {
		return ErrChangesPending
	}
	return nil
}

// plan collects the changes from the same steps install, config and
// infra:setup apply, and the units up would start. With a staging root it
// covers files only, as install does.
func (a *App) plan(ctx context.Context) (*step.Plan, error) {
	cfg, files, err := a.prepare(ctx)
	if err != nil {
		return nil, err
	}
	p := &step.Plan{Secrets: cfg.SecretValues()}

	configFiles, err := a.configFiles(cfg)
	if err != nil {
		return nil, err
	}
	if files, err = a.withHelper(ctx, append(files, configFiles...)); err != nil {
		return nil, err
	}
	if files, err = install.Files(a.o.Root, files, a.o.Paths.ManifestFile(), install.RecordFile(a.o.Paths)); err != nil {
		return nil, err
	}
	changes, err := step.Changes(ctx, install.Steps(a.o.Root, files))
	if err != nil {
		return nil, err
	}
	p.Add(changes...)

	hostChanges, err := a.host(cfg).Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan host infrastructure: %w", err)
	}
	p.Add(hostChanges...)

	if !a.o.Live() {
		return p, nil
	}
	b, closeBus, err := a.backend(ctx)
	if err != nil {
		return nil, err
	}
	defer closeBus()
	up, err := b.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	for _, layer := range a.o.Stack.Graph().Layers() {
		var down []string
		for _, n := range layer {
			if !up[n.Name] {
				down = append(down, n.Name)
			}
		}
		if len(down) > 0 {
			p.Add(step.Change{Section: step.Units, Action: "start", Target: fmt.Sprintf("layer %d: %s", layer[0].Layer, strings.Join(down, ", "))})
		}
	}
	return p, nil
}
