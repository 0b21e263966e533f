package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/deploy"
	"github.com/hotstack-os/hotstack-os/infra"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/plan"
	"github.com/hotstack-os/hotstack-os/units"
)

// ErrChangesPending is Plan's result when something would change; it exits
// 2, like terraform plan -detailed-exitcode.
var ErrChangesPending = errors.New("changes pending")

// Plan shows what install, infra:setup and up would change, and changes
// nothing. Exit status: 0 nothing to do, 2 changes pending, 1 error.
func Plan() error {
	s := begin()
	defer s.stop()
	p, err := buildPlan(s)
	if err != nil {
		return exit(err)
	}
	p.Print(os.Stdout)
	if !p.Empty() {
		return &ExitError{Code: ExitChangesPending, Err: ErrChangesPending}
	}
	return nil
}

func buildPlan(s *session) (*plan.Plan, error) {
	o := s.opts
	cfg, err := o.LoadConfig()
	if err != nil {
		return nil, err
	}
	secrets := cfg.SecretValues()
	p := &plan.Plan{}

	files, err := deploy.Planned(s.ctx, o)
	if err != nil {
		return nil, err
	}
	for _, t := range deploy.ConfigTargets(o, cfg) {
		if _, err := os.Stat(t.Src); err != nil {
			continue
		}
		rendered, err := deploy.RenderTemplates(cfg, t.Src)
		if err != nil {
			return nil, err
		}
		for _, r := range rendered {
			files = append(files, units.File{Path: filepath.Join(t.Dst, r.Rel), Data: r.Data, Mode: r.Mode})
		}
	}
	for _, f := range files {
		if err := p.File(o.Root, f, secrets); err != nil {
			return nil, err
		}
	}

	h := &infra.Host{Config: cfg, Runner: execx.System{}, Log: s.log, Root: o.Root}
	pending, edits, err := h.Plan(s.ctx)
	if err != nil {
		return nil, fmt.Errorf("plan host infrastructure: %w", err)
	}
	for _, e := range edits {
		p.Add(plan.Change{Section: "host", Action: "update", Target: e.Path, Detail: plan.Mask(plan.Diff(e.Path, e.Before, e.After), secrets)})
	}
	for _, c := range pending {
		p.Add(plan.Change{Section: "host", Action: c.Action, Target: c.Target, Detail: c.Detail})
	}

	if !o.Live() {
		return p, nil // staging: files only, as install
	}
	b, closeBus, err := s.systemdBackend()
	if err != nil {
		return nil, err
	}
	defer closeBus()
	up, err := b.Snapshot(s.ctx)
	if err != nil {
		return nil, err
	}
	for _, layer := range o.Stack.Graph().Layers() {
		var down []string
		for _, svc := range layer {
			if !up[svc.Name] {
				down = append(down, svc.Name)
			}
		}
		if len(down) > 0 {
			p.Add(plan.Change{Section: "units", Action: "start", Target: fmt.Sprintf("layer %d: %s", layer[0].Layer, strings.Join(down, ", "))})
		}
	}
	return p, nil
}
