package health

import (
	"context"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Hedged runs a second, parallel attempt of a probe that has not answered
// after After, and returns whichever finishes first (cancelling the other).
// `podman exec` now and then stalls for about five seconds inside podman
// before running anything (seen with podman 4.3 under parallel execs); a
// hedge answers in the normal ~150 ms instead, without cutting short a
// health command that is legitimately slow.
type Hedged struct {
	Prober Prober
	After  time.Duration
}

func (h Hedged) Probe(ctx context.Context) Result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan Result, 2)
	run := func() { results <- h.Prober.Probe(ctx) }
	go run()
	timer := time.NewTimer(h.After)
	defer timer.Stop()
	select {
	case r := <-results:
		return r
	case <-timer.C:
		go run()
	}
	return <-results
}

// hedgeAfter: a podman exec normally answers in 0.1-0.5 s, even under load.
const hedgeAfter = time.Second

// ContainerProbe is how a service's health is probed everywhere (the unit's
// health gate, `up`, `status`): its command in its container, hedged
// against podman's occasional stall. mainPID is the unit's `podman run`
// process when known (0 otherwise).
func ContainerProbe(r execx.Runner, container string, cmd []string, mainPID int) Prober {
	return Hedged{After: hedgeAfter, Prober: Container{Runner: r, Name: container, Cmd: cmd, MainPID: mainPID}}
}
