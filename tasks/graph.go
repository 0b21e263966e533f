// Package tasks is the generic engine that brings a layered dependency graph
// up and down through a Backend. It knows nothing about OpenStack, systemd
// or podman: those live behind the Backend.
package tasks

import (
	"fmt"
	"sort"
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

// Graph is a set of nodes. Layers group them for display and for Down;
// Deps gate Up.
type Graph struct {
	Nodes []Node
	index map[string]int
}

// NewGraph checks that every dependency exists and points to the same or an
// earlier layer (which also rules out cycles across layers; within a layer
// a cycle would deadlock, so it is rejected too).
func NewGraph(nodes []Node) (*Graph, error) {
	g := &Graph{Nodes: append([]Node(nil), nodes...), index: map[string]int{}}
	sort.SliceStable(g.Nodes, func(i, j int) bool { return g.Nodes[i].Layer < g.Nodes[j].Layer })
	for i, n := range g.Nodes {
		if _, dup := g.index[n.Name]; dup {
			return nil, fmt.Errorf("node %q appears twice", n.Name)
		}
		g.index[n.Name] = i
	}
	for _, n := range g.Nodes {
		for _, d := range n.Deps {
			j, ok := g.index[d]
			if !ok {
				return nil, fmt.Errorf("%s depends on unknown node %q", n.Name, d)
			}
			if g.Nodes[j].Layer > n.Layer {
				return nil, fmt.Errorf("%s (layer %d) depends on %s in later layer %d", n.Name, n.Layer, d, g.Nodes[j].Layer)
			}
		}
	}
	if _, err := g.Order(); err != nil {
		return nil, err
	}
	return g, nil
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

// Order returns a topological order (dependencies first), stable by layer
// and declaration; an error names a cycle's members.
func (g *Graph) Order() ([]Node, error) {
	done := map[string]bool{}
	var out []Node
	for len(out) < len(g.Nodes) {
		progressed := false
		for _, n := range g.Nodes {
			if done[n.Name] {
				continue
			}
			ready := true
			for _, d := range n.Deps {
				if !done[d] {
					ready = false
					break
				}
			}
			if ready {
				done[n.Name] = true
				out = append(out, n)
				progressed = true
			}
		}
		if !progressed {
			var stuck []string
			for _, n := range g.Nodes {
				if !done[n.Name] {
					stuck = append(stuck, n.Name)
				}
			}
			return nil, fmt.Errorf("dependency cycle among %v", stuck)
		}
	}
	return out, nil
}

// CriticalPath returns the earliest possible completion time of the whole
// graph when node n takes duration(n) from start to healthy and starts the
// instant its dependencies are healthy: the ideal makespan.
func (g *Graph) CriticalPath(duration func(Node) time.Duration) time.Duration {
	order, _ := g.Order()
	finish := map[string]time.Duration{}
	var total time.Duration
	for _, n := range order {
		var start time.Duration
		for _, d := range n.Deps {
			start = max(start, finish[d])
		}
		finish[n.Name] = start + duration(n)
		total = max(total, finish[n.Name])
	}
	return total
}
