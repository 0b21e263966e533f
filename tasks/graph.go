// Package tasks is the generic engine that brings a layered dependency graph
// up and down through a Backend. It knows nothing about OpenStack, systemd
// or podman: those live behind the Backend.
package tasks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Node is one service of the graph.
type Node struct {
	Name  string
	Layer int
	Deps  []string
	// StopTimeout bounds Stop during Down.
	StopTimeout time.Duration
}

// Graph is a validated set of nodes, sorted by layer (stable within a
// layer). Layers group them for display and for Down; Deps gate Up.
type Graph struct {
	Nodes []Node
	index map[string]int
	order []Node // dependencies first
}

// GraphError lists every problem of a graph, each naming the services
// involved.
type GraphError struct{ Problems []string }

func (e *GraphError) Error() string {
	return "invalid service graph:\n  " + strings.Join(e.Problems, "\n  ")
}

// NewGraph validates nodes and returns the graph. It reports every problem
// at once: duplicate names, nodes without a layer, unknown dependencies,
// dependencies on a later layer, and a dependency cycle (named in full).
func NewGraph(nodes []Node) (*Graph, error) {
	g := &Graph{index: map[string]int{}}
	var problems []string
	seen := map[string]bool{}
	for _, n := range nodes {
		if seen[n.Name] {
			problems = append(problems, fmt.Sprintf("service %q is defined twice", n.Name))
			continue
		}
		seen[n.Name] = true
		if n.Layer < 1 {
			problems = append(problems, fmt.Sprintf("service %q has no layer", n.Name))
		}
		g.Nodes = append(g.Nodes, n)
	}
	slices.SortStableFunc(g.Nodes, func(a, b Node) int { return cmp.Compare(a.Layer, b.Layer) })
	for i, n := range g.Nodes {
		g.index[n.Name] = i
	}
	for _, n := range g.Nodes {
		for _, d := range n.Deps {
			j, ok := g.index[d]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s depends on unknown service %q", n.Name, d))
			case g.Nodes[j].Layer > n.Layer:
				problems = append(problems, fmt.Sprintf("%s (layer %d) depends on %s from later layer %d", n.Name, n.Layer, d, g.Nodes[j].Layer))
			}
		}
	}
	order, cycle := g.sort()
	if cycle != nil {
		problems = append(problems, "dependency cycle: "+strings.Join(cycle, " -> "))
	}
	if len(problems) > 0 {
		return nil, &GraphError{Problems: problems}
	}
	g.order = order
	return g, nil
}

// sort orders the nodes dependencies first (depth-first, in node order), or
// returns one cycle as a path of names. Unknown dependencies are skipped:
// NewGraph reports them.
func (g *Graph) sort() (order []Node, cycle []string) {
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(g.Nodes))
	var path []string
	var visit func(i int) []string
	visit = func(i int) []string {
		n := g.Nodes[i]
		state[i] = onPath
		path = append(path, n.Name)
		for _, d := range n.Deps {
			j, ok := g.index[d]
			if !ok {
				continue
			}
			switch state[j] {
			case onPath:
				at := slices.Index(path, d)
				return append(slices.Clone(path[at:]), d)
			case unseen:
				if c := visit(j); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[i] = done
		order = append(order, n)
		return nil
	}
	for i := range g.Nodes {
		if state[i] == unseen {
			if c := visit(i); c != nil {
				return nil, c
			}
		}
	}
	return order, nil
}

// Node returns the named node.
func (g *Graph) Node(name string) (Node, bool) {
	i, ok := g.index[name]
	if !ok {
		return Node{}, false
	}
	return g.Nodes[i], true
}

// Layers returns the nodes grouped by layer, in layer order.
func (g *Graph) Layers() [][]Node {
	var out [][]Node
	for _, n := range g.Nodes {
		if len(out) == 0 || out[len(out)-1][0].Layer != n.Layer {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], n)
	}
	return out
}

// Order returns the nodes in a topological order: every node after its
// dependencies.
func (g *Graph) Order() []Node { return slices.Clone(g.order) }

// CriticalPath returns the earliest possible completion time of the whole
// graph when node n takes duration(n) from start to healthy and starts the
// instant its dependencies are healthy: the ideal makespan.
func (g *Graph) CriticalPath(duration func(Node) time.Duration) time.Duration {
	total, _ := g.CriticalChain(duration)
	return total
}

// CriticalChain is CriticalPath with the chain of nodes that sets it,
// dependencies first.
func (g *Graph) CriticalChain(duration func(Node) time.Duration) (time.Duration, []string) {
	finish := map[string]time.Duration{}
	via := map[string]string{} // the dependency a node waited for last
	var total time.Duration
	var last string
	for _, n := range g.order {
		var start time.Duration
		for _, d := range n.Deps {
			if finish[d] >= start {
				start, via[n.Name] = finish[d], d
			}
		}
		finish[n.Name] = start + duration(n)
		if finish[n.Name] >= total {
			total, last = finish[n.Name], n.Name
		}
	}
	var chain []string
	for n := last; n != ""; n = via[n] {
		chain = append([]string{n}, chain...)
	}
	return total, chain
}
