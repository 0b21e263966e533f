package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hotstack-os/hotstack-os/health"
)

// Engine runs a Graph through a Backend.
type Engine struct {
	Graph   *Graph
	Backend Backend
	// StrictLayers makes a layer wait until the whole previous layer is
	// healthy (the literal barrier). By default a node starts as soon as
	// its own dependencies are healthy.
	StrictLayers bool
	Observer     Observer
	// Restart are nodes to restart although they are up (their definition
	// changed). A node is restarted once each of its dependencies is
	// healthy, after the dependency's own restart when it has one, so
	// restarts go in dependency order, as starts do; a node that is up and
	// not listed is left alone, whatever happens to its dependencies. A
	// listed node that is not up is simply started.
	Restart map[string]bool
	// Known, when set, says which nodes are up now (the caller read it);
	// otherwise Up asks the backend (Snapshotter, or one probe per node).
	Known map[string]bool
}

// Failure is the first node that could not be brought up.
type Failure struct {
	Node       string
	Err        error
	LastOutput string
}

func (f *Failure) Error() string { return fmt.Sprintf("%s: %v", f.Node, f.Err) }
func (f *Failure) Unwrap() error { return f.Err }

// Timing is what happened to one node during Up.
type Timing struct {
	Started   time.Time // when Start (or Restart) was called (zero if it was already healthy)
	Healthy   time.Time // when health was confirmed
	Skipped   bool      // already healthy: not started
	Restarted bool      // it was up, and was restarted
}

// Report is the outcome of Up.
type Report struct {
	Begin, End time.Time
	Nodes      map[string]Timing
}

// Started counts the nodes Up started (restarts not included).
func (r *Report) Started() int {
	n := 0
	for _, t := range r.Nodes {
		if !t.Skipped && !t.Restarted && !t.Started.IsZero() {
			n++
		}
	}
	return n
}

// Restarted counts the nodes Up restarted.
func (r *Report) Restarted() int {
	n := 0
	for _, t := range r.Nodes {
		if t.Restarted {
			n++
		}
	}
	return n
}

func (e *Engine) emit(n Node, s State, detail string) {
	if e.Observer != nil {
		e.Observer(Event{Time: time.Now(), Node: n.Name, Layer: n.Layer, State: s, Detail: detail})
	}
}

// Up brings every node to healthy. Nodes already healthy are left alone, so
// Up on a running stack starts nothing. The first failure cancels the rest;
// the error is then a *Failure. Cancelling ctx stops all waits at once.
func (e *Engine) Up(ctx context.Context) (*Report, error) {
	rep := &Report{Begin: time.Now(), Nodes: map[string]Timing{}}
	var mu sync.Mutex
	record := func(name string, f func(*Timing)) {
		mu.Lock()
		t := rep.Nodes[name]
		f(&t)
		rep.Nodes[name] = t
		mu.Unlock()
	}

	already := e.Known
	if already == nil {
		var err error
		if already, err = e.healthyNow(ctx); err != nil {
			return rep, err
		}
	}
	ready := make(map[string]chan struct{}, len(e.Graph.Nodes))
	for _, n := range e.Graph.Nodes {
		ready[n.Name] = make(chan struct{})
	}

	bringUp := func(ctx context.Context, n Node) error {
		restart := already[n.Name] && e.Restart[n.Name]
		if already[n.Name] && !restart {
			record(n.Name, func(t *Timing) { t.Skipped, t.Healthy = true, time.Now() })
			e.emit(n, AlreadyHealthy, "")
			close(ready[n.Name])
			return nil
		}
		if len(n.Deps) > 0 {
			e.emit(n, WaitingDeps, strings.Join(n.Deps, ", "))
		}
		for _, d := range n.Deps {
			select {
			case <-ready[d]:
			case <-ctx.Done():
				e.emit(n, Cancelled, "")
				return ctx.Err()
			}
		}
		record(n.Name, func(t *Timing) { t.Started, t.Restarted = time.Now(), restart })
		if restart {
			e.emit(n, Restarting, "")
			if err := e.restart(ctx, n.Name); err != nil {
				return e.fail(ctx, n, err, "")
			}
		} else {
			e.emit(n, Starting, "")
			if err := e.Backend.Start(ctx, n.Name); err != nil {
				return e.fail(ctx, n, err, "")
			}
		}
		if g, ok := e.Backend.(HealthGatedStart); !ok || !g.StartWaitsForHealth() {
			if err := e.waitHealthy(ctx, n); err != nil {
				return err
			}
		}
		record(n.Name, func(t *Timing) { t.Healthy = time.Now() })
		e.emit(n, Healthy, "")
		close(ready[n.Name])
		return nil
	}

	var err error
	if e.StrictLayers {
		// The literal barrier: a layer starts once the whole previous
		// one is healthy.
		for _, layer := range e.Graph.Layers() {
			g, gctx := errgroup.WithContext(ctx)
			for _, n := range layer {
				g.Go(func() error { return bringUp(gctx, n) })
			}
			if err = g.Wait(); err != nil {
				break
			}
		}
	} else {
		// Dependency-gated: every node at once, each waiting on the
		// readiness of its own dependencies.
		g, gctx := errgroup.WithContext(ctx)
		for _, n := range e.Graph.Nodes {
			g.Go(func() error { return bringUp(gctx, n) })
		}
		err = g.Wait()
	}
	rep.End = time.Now()
	if err != nil && ctx.Err() != nil {
		return rep, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return rep, err
}

// restart restarts node through the backend, or stops and starts it.
func (e *Engine) restart(ctx context.Context, node string) error {
	if r, ok := e.Backend.(Restarter); ok {
		return r.Restart(ctx, node)
	}
	if err := e.Backend.Stop(ctx, node); err != nil {
		return err
	}
	return e.Backend.Start(ctx, node)
}

// waitHealthy polls the node's health under its policy.
func (e *Engine) waitHealthy(ctx context.Context, n Node) error {
	e.emit(n, Probing, "")
	var mu sync.Mutex
	var last health.Result
	prober := health.ProberFunc(func(ctx context.Context) health.Result { return e.Backend.Probe(ctx, n.Name) })
	err := health.Wait(ctx, prober, e.Backend.Policy(n.Name), func(r health.Result) {
		mu.Lock()
		last = r
		mu.Unlock()
	})
	if err != nil {
		mu.Lock()
		defer mu.Unlock()
		return e.fail(ctx, n, err, last.Output)
	}
	return nil
}

func (e *Engine) fail(ctx context.Context, n Node, err error, lastOutput string) error {
	if ctx.Err() != nil {
		e.emit(n, Cancelled, "")
		return ctx.Err()
	}
	var u *health.Unhealthy
	if errors.As(err, &u) && lastOutput == "" {
		lastOutput = u.LastOutput
	}
	e.emit(n, Failed, err.Error())
	return &Failure{Node: n.Name, Err: err, LastOutput: lastOutput}
}

// healthyNow probes every node once, in parallel, to find those that need
// no start. A probe error here only means "start it".
func (e *Engine) healthyNow(ctx context.Context) (map[string]bool, error) {
	if snap, ok := e.Backend.(Snapshotter); ok {
		up, err := snap.Snapshot(ctx)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted: %w", ctx.Err())
		}
		if err == nil {
			return up, nil
		}
	}
	var mu sync.Mutex
	out := map[string]bool{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(ProbeConcurrency)
	for _, n := range e.Graph.Nodes {
		g.Go(func() error {
			pctx, cancel := context.WithTimeout(gctx, e.Backend.Policy(n.Name).ProbeTimeout)
			defer cancel()
			if e.Backend.Probe(pctx, n.Name).Healthy {
				mu.Lock()
				out[n.Name] = true
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("interrupted: %w", ctx.Err())
	}
	return out, nil
}

// ProbeConcurrency bounds parallel health probes (the initial check of Up,
// `mage status`): probes may be processes (podman exec), and a burst of 20
// on two cores pushes some past their timeout.
const ProbeConcurrency = 4

// stopSlack is added to a node's stop timeout: the backend's own stop
// (podman stop -t N, then SIGKILL) needs a moment beyond N.
const stopSlack = 10 * time.Second

// Down stops the nodes layer by layer in reverse order, in parallel within
// a layer, each bounded by its stop timeout. It carries on past a node that
// fails to stop and returns all such errors together.
func (e *Engine) Down(ctx context.Context) error {
	layers := e.Graph.Layers()
	var errs []error
	var mu sync.Mutex
	for i := len(layers) - 1; i >= 0; i-- {
		// No shared cancellation: a node that fails to stop must not
		// keep its siblings running.
		var g errgroup.Group
		for _, n := range layers[i] {
			g.Go(func() error {
				e.emit(n, Stopping, "")
				sctx, cancel := context.WithTimeout(ctx, n.StopTimeout+stopSlack)
				defer cancel()
				if err := e.Backend.Stop(sctx, n.Name); err != nil {
					e.emit(n, Failed, err.Error())
					mu.Lock()
					errs = append(errs, fmt.Errorf("stop %s: %w", n.Name, err))
					mu.Unlock()
					return nil
				}
				e.emit(n, Stopped, "")
				return nil
			})
		}
		_ = g.Wait() // errs collects every failure
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
	}
	return errors.Join(errs...)
}
