package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/backend"
	"github.com/hotstack-os/hotstack-os/deploy"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/lockfile"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/systemd"
	"github.com/hotstack-os/hotstack-os/tasks"
	"github.com/hotstack-os/hotstack-os/ui"
	"github.com/hotstack-os/hotstack-os/units"
)

// runLock keeps two `mage up`/`mage down` from driving the stack at once;
// the second waits for the first.
const runLock = "/run/lock/hotstack-os-run.lock"

// journalLines is how much of a failed unit's journal the report shows.
const journalLines = 20

func (s *session) engine(b tasks.Backend, progress *ui.Progress) *tasks.Engine {
	return &tasks.Engine{Graph: s.opts.Stack.Graph(), Backend: b, StrictLayers: os.Getenv("HOTSTACK_STRICT_LAYERS") == "1",
		Observer: progress.Observe}
}

func (s *session) systemdBackend() (*backend.Systemd, func(), error) {
	mgr, err := systemd.Connect(s.ctx)
	if err != nil {
		return nil, nil, err
	}
	return &backend.Systemd{Manager: mgr, Runner: execx.System{}, Stack: s.opts.Stack}, mgr.Close, nil
}

func (s *session) lock() (*lockfile.Lock, error) {
	return lockfile.Acquire(s.ctx, runLock, func(holder string) {
		s.log.Info().Msgf("another hotstack-os run holds the stack (%s); waiting for it to finish", holder)
	})
}

// Installed checks that the units on disk are the ones the current .env
// renders, so `up` never starts a stack that disagrees with its config.
func Installed() error {
	s := begin()
	defer s.stop()
	return exit(checkInstalled(s.opts))
}

func checkInstalled(o deploy.Options) error {
	cfg, err := o.LoadConfig()
	if err != nil {
		return err
	}
	files, err := units.Render(cfg, o.Stack, o.Paths)
	if err != nil {
		return err
	}
	var stale []string
	for _, f := range files {
		cur, err := os.ReadFile(units.Rooted(o.Root, f.Path))
		if err != nil || !bytes.Equal(cur, f.Data) {
			stale = append(stale, f.Path)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("%d installed file(s) are missing or differ from what %s renders (first: %s); run `mage install`", len(stale), cfg.File, stale[0])
	}
	return nil
}

// driveStack runs f with the run lock held and the systemd backend
// connected: what `up` and `down` share.
func driveStack(f func(s *session, b *backend.Systemd) error) error {
	s := begin()
	defer s.stop()
	lock, err := s.lock()
	if err != nil {
		return exit(err)
	}
	defer lock.Release()
	b, closeBus, err := s.systemdBackend()
	if err != nil {
		return exit(err)
	}
	defer closeBus()
	return exit(f(s, b))
}

// Up brings the stack up, dependency by dependency.
func Up() error { return driveStack(up) }

func up(s *session, b *backend.Systemd) error {
	progress := ui.NewProgress(s.log, os.Stderr, s.opts.Stack.Graph(), ui.DetectFormat() == ui.Console && ui.IsTerminal(os.Stderr))
	rep, err := s.engine(b, progress).Up(s.ctx)
	progress.Close()
	if err != nil {
		return s.report(b, err)
	}
	started := rep.Started()
	took := rep.End.Sub(rep.Begin).Round(time.Millisecond)
	if started == 0 {
		s.log.Info().Msgf("up: all %d services already healthy; nothing started (%s)", len(rep.Nodes), took)
	} else {
		s.log.Info().Msgf("up: %d services healthy, %d started, in %s", len(rep.Nodes), started, took)
	}
	return nil
}

// report turns an engine failure into the operator's report: the service,
// the reason, the last probe output and the unit's journal tail.
func (s *session) report(b tasks.Diagnoser, err error) error {
	var f *tasks.Failure
	if !errors.As(err, &f) {
		return err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "up failed: service %s: %v", f.Node, f.Err)
	if out := strings.TrimSpace(f.LastOutput); out != "" && !strings.Contains(f.Err.Error(), out) {
		fmt.Fprintf(&msg, "\nlast probe output: %s", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if tail, jerr := b.Diagnose(ctx, f.Node, journalLines); jerr == nil && tail != "" {
		fmt.Fprintf(&msg, "\n--- last %d journal lines of %s ---\n%s", journalLines, stack.UnitName(f.Node), tail)
	}
	return &ExitError{Code: ExitFailure, Err: errors.New(msg.String())}
}

// Down stops the stack in reverse layer order; the infra oneshot goes last,
// which runs its cleanup.
func Down() error { return driveStack(down) }

func down(s *session, b *backend.Systemd) error {
	progress := ui.NewProgress(s.log, os.Stderr, s.opts.Stack.Graph(), false)
	start := time.Now()
	err := s.engine(b, progress).Down(s.ctx)
	progress.Close()
	if err != nil {
		return err
	}
	// The target last: stopped first, PartOf= would have systemd stop
	// every service at once, outside our layer order.
	if err := b.Manager.Stop(s.ctx, stack.TargetName); err != nil {
		return err
	}
	s.log.Info().Msgf("down: stack stopped in %s", time.Since(start).Round(time.Millisecond))
	return nil
}
