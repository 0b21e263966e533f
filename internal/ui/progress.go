package ui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/tasks"
)

// Progress shows an engine run. On a terminal it redraws a live view, one
// line per service grouped by layer, with state and elapsed time; elsewhere
// it logs one line per event through the logger (console lines, JSON or the
// journal), each naming its service.
type Progress struct {
	log   zerolog.Logger
	out   io.Writer
	live  bool
	start time.Time

	mu     sync.Mutex
	layers [][]tasks.Node
	state  map[string]tasks.Event
	since  map[string]time.Time
	drawn  int
	stop   chan struct{}
	done   chan struct{}
}

// NewProgress returns a Progress for graph. live selects the terminal view.
func NewProgress(log zerolog.Logger, out io.Writer, g *tasks.Graph, live bool) *Progress {
	p := &Progress{log: log, out: out, live: live, start: time.Now(), layers: g.Layers(),
		state: map[string]tasks.Event{}, since: map[string]time.Time{}, stop: make(chan struct{}), done: make(chan struct{})}
	if live {
		go p.loop()
	} else {
		close(p.done)
	}
	return p
}

// Observe is the engine's Observer.
func (p *Progress) Observe(e tasks.Event) {
	p.mu.Lock()
	if prev, ok := p.state[e.Node]; !ok || prev.State != e.State {
		p.since[e.Node] = e.Time
	}
	p.state[e.Node] = e
	p.mu.Unlock()
	if p.live {
		return
	}
	ev := p.log.Info()
	if e.State == tasks.Failed {
		ev = p.log.Error()
	}
	ev = ev.Str("service", e.Node).Int("layer", e.Layer).Str("state", e.State.String()).
		Str("elapsed", time.Since(p.start).Round(time.Millisecond).String())
	if e.Detail != "" {
		ev = ev.Str("detail", e.Detail)
	}
	ev.Msg(e.Node + " " + e.State.String())
}

// Close stops the live view after a final redraw.
func (p *Progress) Close() {
	if p.live {
		close(p.stop)
	}
	<-p.done
}

func (p *Progress) loop() {
	defer close(p.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.draw()
		case <-p.stop:
			p.draw()
			return
		}
	}
}

// symbol marks a state in the live view.
func symbol(s tasks.State) string {
	switch s {
	case tasks.Pending:
		return "·"
	case tasks.WaitingDeps:
		return "…"
	case tasks.Starting:
		return "▶"
	case tasks.Restarting:
		return "↻"
	case tasks.Probing:
		return "?"
	case tasks.Healthy, tasks.AlreadyHealthy:
		return "✔"
	case tasks.Failed:
		return "✘"
	case tasks.Cancelled:
		return "-"
	case tasks.Stopping:
		return "■"
	case tasks.Stopped:
		return "□"
	}
	return " "
}

// draw repaints the view in place: cursor up over the previous frame, then
// each line cleared and rewritten.
func (p *Progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	lines := 0
	now := time.Now()
	for _, layer := range p.layers {
		fmt.Fprintf(&b, "\x1b[2Klayer %d\n", layer[0].Layer)
		lines++
		for _, n := range layer {
			e, ok := p.state[n.Name]
			st := tasks.Pending
			if ok {
				st = e.State
			}
			elapsed := ""
			if ok && !st.Done() && st != tasks.Stopped {
				elapsed = now.Sub(p.since[n.Name]).Round(100 * time.Millisecond).String()
			} else if ok {
				elapsed = "at " + e.Time.Sub(p.start).Round(100*time.Millisecond).String()
			}
			detail := ""
			switch st {
			case tasks.Failed:
				detail = truncate(e.Detail, 60)
			case tasks.WaitingDeps:
				detail = "on " + strings.Join(p.pendingDeps(n), ", ")
			}
			fmt.Fprintf(&b, "\x1b[2K  %s %-18s %-16s %-9s %s\n", symbol(st), n.Name, st, elapsed, detail)
			lines++
		}
	}
	p.drawn = lines
	_, _ = io.WriteString(p.out, b.String())
}

// pendingDeps lists n's dependencies that are not healthy yet (the caller
// holds p.mu).
func (p *Progress) pendingDeps(n tasks.Node) []string {
	var out []string
	for _, d := range n.Deps {
		if s := p.state[d].State; s != tasks.Healthy && s != tasks.AlreadyHealthy {
			out = append(out, d)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
