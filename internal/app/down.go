package app

import (
	"context"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/internal/ui"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Down stops the stack in reverse layer order; the infra oneshot goes last,
// which runs its cleanup.
func (a *App) Down(ctx context.Context) error { return a.driveStack(ctx, a.down) }

func (a *App) down(ctx context.Context, b *systemd.Backend) error {
	progress := ui.NewProgress(a.o.Log, a.o.Stderr, a.o.Stack.Graph(), false)
	start := time.Now()
	err := a.engine(b, progress).Down(ctx)
	progress.Close()
	if err != nil {
		return err
	}
	// The target last: stopped first, PartOf= would have systemd stop
	// every service at once, outside our layer order.
	if err := b.Manager.Stop(ctx, stack.TargetName); err != nil {
		return err
	}
	a.o.Log.Info().Msgf("down: stack stopped in %s", time.Since(start).Round(time.Millisecond))
	return nil
}
