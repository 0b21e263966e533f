package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/lockfile"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/internal/ui"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/tasks"
	"github.com/hotstack-os/hotstack-os/units"
)

// journalLines is how much of a failed unit's journal the report shows.
const journalLines = 20

// Installed fails unless the units on disk are the ones the current .env
// renders, so `up` never starts a stack that disagrees with its config.
func (a *App) Installed(context.Context) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	files, err := units.Render(cfg, a.o.Stack, a.o.Paths)
	if err != nil {
		return err
	}
	var stale []string
	for _, f := range files {
		cur, err := os.ReadFile(install.Rooted(a.o.Root, f.Path))
		if err != nil || !bytes.Equal(cur, f.Data) {
			stale = append(stale, f.Path)
		}
	}
	if len(stale) > 0 {
		return fmt.Errorf("%d installed file(s) are missing or differ from what %s renders (first: %s); run `mage install`", len(stale), cfg.File, stale[0])
	}
	return nil
}

// Up checks that the installed units are current (as Installed), then
// brings the stack up: each service as soon as its dependencies are
// healthy (HOTSTACK_STRICT_LAYERS=1: layer by layer). On a healthy stack it
// starts nothing.
func (a *App) Up(ctx context.Context) error {
	if err := a.Installed(ctx); err != nil {
		return err
	}
	return a.driveStack(ctx, a.up)
}

func (a *App) up(ctx context.Context, b *systemd.Backend) error {
	progress := ui.NewProgress(a.o.Log, a.o.Stderr, a.o.Stack.Graph(), a.o.LiveView)
	rep, err := a.engine(b, progress).Up(ctx)
	progress.Close()
	if err != nil {
		return a.report(b, err)
	}
	took := rep.End.Sub(rep.Begin).Round(time.Millisecond)
	if started := rep.Started(); started == 0 {
		a.o.Log.Info().Msgf("up: all %d services already healthy; nothing started (%s)", len(rep.Nodes), took)
	} else {
		a.o.Log.Info().Msgf("up: %d services healthy, %d started, in %s%s", len(rep.Nodes), started, took, a.criticalPath(rep))
	}
	return nil
}

// criticalPath describes how close the run came to its limit: the slowest
// chain of dependencies, each link timed from its start to healthy. No
// scheduler can beat it, so up / critical path is the engine's overhead.
func (a *App) criticalPath(rep *tasks.Report) string {
	total, chain := a.o.Stack.Graph().CriticalChain(func(n tasks.Node) time.Duration {
		t := rep.Nodes[n.Name]
		if t.Skipped || t.Started.IsZero() || t.Healthy.Before(t.Started) {
			return 0
		}
		return t.Healthy.Sub(t.Started)
	})
	if total <= 0 {
		return ""
	}
	took := rep.End.Sub(rep.Begin)
	return fmt.Sprintf("; critical path %s (%s), up / critical path = %.3f",
		total.Round(time.Millisecond), strings.Join(chain, " -> "), took.Seconds()/total.Seconds())
}

func (a *App) engine(b tasks.Backend, progress *ui.Progress) *tasks.Engine {
	return &tasks.Engine{Graph: a.o.Stack.Graph(), Backend: b, StrictLayers: a.o.StrictLayers, Observer: progress.Observe}
}

// driveStack runs f with the run lock held and the systemd backend
// connected: what up and down share. A second run waits for the first.
func (a *App) driveStack(ctx context.Context, f func(context.Context, *systemd.Backend) error) error {
	lock, err := lockfile.Acquire(ctx, a.o.RunLock, func(holder string) {
		a.o.Log.Info().Msgf("another hotstack-os run holds the stack (%s); waiting for it to finish", holder)
	})
	if err != nil {
		return err
	}
	defer lock.Release()
	b, closeBus, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer closeBus()
	return f(ctx, b)
}

// report turns an engine failure into the operator's report: the service,
// the reason, the last probe output and the unit's journal tail.
func (a *App) report(b tasks.Diagnoser, err error) error {
	var f *tasks.Failure
	if !errors.As(err, &f) {
		return err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "up failed: service %s: %v", f.Node, f.Err)
	if out := strings.TrimSpace(f.LastOutput); out != "" && !strings.Contains(f.Err.Error(), out) {
		fmt.Fprintf(&msg, "\nlast probe output: %s", out)
	}
	// The run's context may be cancelled already: the tail gets its own.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if tail, jerr := b.Diagnose(ctx, f.Node, journalLines); jerr == nil && tail != "" {
		fmt.Fprintf(&msg, "\n--- last %d journal lines of %s ---\n%s", journalLines, stack.UnitName(f.Node), tail)
	}
	return &ExitError{Code: ExitFailure, Err: errors.New(msg.String())}
}
