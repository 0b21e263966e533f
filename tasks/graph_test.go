package tasks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/tasks"
)

// TestCriticalChain names the chain that sets the critical path.
func TestCriticalChain(t *testing.T) {
	g, err := tasks.NewGraph([]tasks.Node{
		{Name: "db", Layer: 1},
		{Name: "cache", Layer: 1},
		{Name: "identity", Layer: 2, Deps: []string{"db", "cache"}},
		{Name: "image", Layer: 3, Deps: []string{"identity"}},
		{Name: "compute", Layer: 3, Deps: []string{"identity", "cache"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := map[string]time.Duration{"db": 8 * time.Second, "cache": 1 * time.Second, "identity": 20 * time.Second, "image": 5 * time.Second, "compute": 9 * time.Second}
	total, chain := g.CriticalChain(func(n tasks.Node) time.Duration { return d[n.Name] })
	if total != 37*time.Second || strings.Join(chain, ",") != "db,identity,compute" {
		t.Fatalf("critical chain %s %v, want 37s db,identity,compute", total, chain)
	}
}
