// Package backend connects the generic engine (tasks/) to the real stack:
// it turns the stack into the engine's graph and starts, stops and probes
// services through systemd (D-Bus) and podman.
package backend

import (
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/tasks"
)

// Graph is the stack as the engine's graph.
func Graph(st *stack.Stack) *tasks.Graph {
	var nodes []tasks.Node
	for _, s := range st.Services() {
		nodes = append(nodes, tasks.Node{Name: s.Name, Layer: s.Layer, Deps: s.DependsOn, StopTimeout: s.StopTimeout})
	}
	g, err := tasks.NewGraph(nodes)
	if err != nil {
		panic(err) // stack.New already validated the same rules
	}
	return g
}
