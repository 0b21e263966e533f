package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Plan shows what install (and config), infra:setup and up would change,
// and changes nothing. Exit status: 0 nothing to do, 2 changes pending
// (exitcode.ErrChangesPending), 1 error. Secret values never show.
func (a *App) Plan(ctx context.Context) error {
	p, err := a.plan(ctx)
	if err != nil {
		return err
	}
	p.Print(a.o.Stdout)
	if !p.Empty() {
		return exitcode.ErrChangesPending
	}
	return nil
}

// plan collects the changes from the same steps install, config and
// infra:setup apply, the restarts up would make (the same computation,
// see restarts) and the units it would start. With a staging root it
// covers files only, as install does.
func (a *App) plan(ctx context.Context) (*step.Plan, error) {
	r, err := a.prepare(ctx)
	if err != nil {
		return nil, err
	}
	p := &step.Plan{Secrets: r.cfg.SecretValues()}

	files, err := a.withHelper(ctx, r.files())
	if err != nil {
		return nil, err
	}
	if files, err = install.Files(a.o.Root, files, a.o.Paths.ManifestFile(), a.o.Paths.RecordFile()); err != nil {
		return nil, err
	}
	changes, err := step.Changes(ctx, install.Steps(a.o.Root, files))
	if err != nil {
		return nil, err
	}
	p.Add(changes...)

	hostChanges, err := a.host(r.cfg).Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan host infrastructure: %w", err)
	}
	p.Add(hostChanges...)

	if !a.o.Live() {
		return p, nil
	}
	unitChanges, err := a.planUnits(ctx, r)
	if err != nil {
		return nil, err
	}
	p.Add(unitChanges...)
	return p, nil
}

// planUnits is what up would do to the units: enable the target, restart
// the running containers whose inputs changed (the list up prints, from
// the same computation), start what is not up.
func (a *App) planUnits(ctx context.Context, r *rendering) ([]step.Change, error) {
	b, closeBus, err := a.backend(ctx)
	if err != nil {
		return nil, err
	}
	defer closeBus()
	var out []step.Change
	if state, err := b.Manager.UnitFileState(ctx, stack.TargetName); err != nil {
		return nil, err
	} else if state != "enabled" {
		out = append(out, step.Change{Section: step.Units, Action: "enable", Target: stack.TargetName + " (the stack starts at boot)"})
	}
	obs, err := b.Observe(ctx)
	if err != nil {
		return nil, err
	}
	for _, rs := range a.restarts(r, obs) {
		out = append(out, step.Change{Section: step.Units, Action: "restart", Target: rs.String()})
	}
	up := obs.Up(a.o.Stack)
	for _, layer := range a.o.Stack.Graph().Layers() {
		var down []string
		for _, n := range layer {
			if !up[n.Name] {
				down = append(down, n.Name)
			}
		}
		if len(down) > 0 {
			out = append(out, step.Change{Section: step.Units, Action: "start", Target: fmt.Sprintf("layer %d: %s", layer[0].Layer, strings.Join(down, ", "))})
		}
	}
	return out, nil
}
