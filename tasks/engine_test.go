package tasks_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotstack-os/hotstack-os/health"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/tasks"
)

func realGraph(tb testing.TB) *tasks.Graph {
	tb.Helper()
	st, err := stack.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return st.Graph()
}

// The engine tests run under testing/synctest: on a fake clock that moves
// only when every goroutine waits on it, the timings they assert are exact
// and do not depend on the load of the machine.

func testPolicy(string) health.Policy {
	return health.DefaultPolicy(5*time.Second, time.Second).Scaled(0.1)
}

func uniform(g *tasks.Graph, d time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, n := range g.Nodes {
		out[n.Name] = d
	}
	return out
}

func TestOrderingFromTimestamps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, 20*time.Millisecond), testPolicy)
		if _, err := (&tasks.Engine{Graph: g, Backend: m}).Up(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, n := range g.Nodes {
			started, _ := m.Times(n.Name)
			for _, d := range n.Deps {
				_, depReady := m.Times(d)
				if started.Before(depReady) {
					t.Errorf("%s started %v before %s was healthy", n.Name, depReady.Sub(started), d)
				}
			}
		}
	})
}

func TestIndependentServicesOverlap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, 100*time.Millisecond), testPolicy)
		if _, err := (&tasks.Engine{Graph: g, Backend: m}).Up(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The five layer-2 services start together, right after infra.
		var first, last time.Time
		for _, name := range []string{"dnsmasq", "haproxy", "mariadb", "rabbitmq", "memcached"} {
			s, _ := m.Times(name)
			if first.IsZero() || s.Before(first) {
				first = s
			}
			if s.After(last) {
				last = s
			}
		}
		if spread := last.Sub(first); spread != 0 {
			t.Fatalf("layer-2 starts spread over %v: not parallel", spread)
		}
	})
}

func TestFirstFailureCancelsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		delays := uniform(g, 10*time.Millisecond)
		delays["rabbitmq"] = time.Hour // a slow sibling of the failing service
		m := tasks.NewMemory(delays, func(string) health.Policy { return health.DefaultPolicy(time.Hour, time.Second) })
		m.Dead["mariadb"] = true
		start := time.Now()
		_, err := (&tasks.Engine{Graph: g, Backend: m}).Up(context.Background())
		var f *tasks.Failure
		if !errors.As(err, &f) || f.Node != "mariadb" || f.LastOutput != "container exited with code 1" {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("failure took %v to report; siblings kept waiting", d)
		}
		if s, _ := m.Times("keystone"); !s.IsZero() {
			t.Fatal("keystone started although mariadb failed")
		}
	})
}

func TestDeadContainerReportedUnderOneSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, 0), func(string) health.Policy { return health.DefaultPolicy(70*time.Second, 5*time.Second) })
		m.Dead["nova-compute"] = true
		var mu sync.Mutex
		var startedAt, failedAt time.Time
		obs := func(e tasks.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Node == "nova-compute" && e.State == tasks.Starting {
				startedAt = e.Time
			}
			if e.Node == "nova-compute" && e.State == tasks.Failed {
				failedAt = e.Time
			}
		}
		_, err := (&tasks.Engine{Graph: g, Backend: m, Observer: obs}).Up(context.Background())
		if err == nil {
			t.Fatal("no failure")
		}
		if d := failedAt.Sub(startedAt); startedAt.IsZero() || d > time.Second {
			t.Fatalf("dead container reported after %v (the original needs 70 s)", d)
		}
	})
}

func TestInterruptCancelsPromptly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, time.Hour), func(string) health.Policy { return health.DefaultPolicy(2*time.Hour, time.Second) })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := (&tasks.Engine{Graph: g, Backend: m}).Up(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Fatalf("interrupt took %v", d)
		}
	})
}

func TestUpOnHealthyStackStartsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, time.Hour), testPolicy)
		for _, n := range g.Nodes {
			m.MarkRunning(n.Name)
		}
		start := time.Now()
		rep, err := (&tasks.Engine{Graph: g, Backend: m}).Up(context.Background())
		if err != nil || m.Starts() != 0 || rep.Started() != 0 {
			t.Fatalf("err %v, %d starts", err, m.Starts())
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("idempotent up took %v", d)
		}
	})
}

func TestStrictLayersAreBarriers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, 10*time.Millisecond), testPolicy)
		if _, err := (&tasks.Engine{Graph: g, Backend: m, StrictLayers: true}).Up(context.Background()); err != nil {
			t.Fatal(err)
		}
		layers := g.Layers()
		for i := 1; i < len(layers); i++ {
			var prevReady time.Time
			for _, n := range layers[i-1] {
				if _, r := m.Times(n.Name); r.After(prevReady) {
					prevReady = r
				}
			}
			for _, n := range layers[i] {
				if s, _ := m.Times(n.Name); s.Before(prevReady) {
					t.Errorf("%s (layer %d) started before layer %d was healthy", n.Name, n.Layer, layers[i-1][0].Layer)
				}
			}
		}
	})
}

func TestDownReversesLayers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, 0), testPolicy)
		if err := (&tasks.Engine{Graph: g, Backend: m}).Down(context.Background()); err != nil {
			t.Fatal(err)
		}
		stops := m.Stops()
		layerOf := map[string]int{}
		for _, n := range g.Nodes {
			layerOf[n.Name] = n.Layer
		}
		for i := 1; i < len(stops); i++ {
			if layerOf[stops[i]] > layerOf[stops[i-1]] {
				t.Fatalf("%s (layer %d) stopped after %s (layer %d)", stops[i], layerOf[stops[i]], stops[i-1], layerOf[stops[i-1]])
			}
		}
		if stops[len(stops)-1] != stack.InfraName {
			t.Fatalf("infra not stopped last: %v", stops)
		}
	})
}

func TestCriticalPath(t *testing.T) {
	g := realGraph(t)
	// infra, mariadb, keystone, placement, nova-api, nova-conductor, nova-compute
	if cp := g.CriticalPath(func(tasks.Node) time.Duration { return time.Second }); cp != 7*time.Second {
		t.Fatalf("critical path %v, want 7s", cp)
	}
}

// TestRestartsFollowDependencies: on a running stack, Up restarts exactly
// the nodes it is told to, each once its dependencies are healthy again
// (mariadb before keystone), and leaves the others, dependents included,
// alone.
func TestRestartsFollowDependencies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := realGraph(t)
		m := tasks.NewMemory(uniform(g, 200*time.Millisecond), testPolicy)
		known := map[string]bool{}
		for _, n := range g.Nodes {
			m.MarkRunning(n.Name)
			known[n.Name] = true
		}
		restart := map[string]bool{"mariadb": true, "keystone": true, "heat-engine": true}
		e := &tasks.Engine{Graph: g, Backend: m, Restart: restart, Known: known}
		rep, err := e.Up(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if rep.Restarted() != 3 || rep.Started() != 0 {
			t.Fatalf("restarted %d, started %d; want 3, 0", rep.Restarted(), rep.Started())
		}
		if stops := m.Stops(); len(stops) != 3 {
			t.Fatalf("stopped %v, want the three restarted", stops)
		}
		mariadbStart, mariadbReady := m.Times("mariadb")
		keystoneStart, _ := m.Times("keystone")
		heatStart, _ := m.Times("heat-engine")
		if keystoneStart.Before(mariadbReady) {
			t.Errorf("keystone restarted %v before mariadb was healthy again", mariadbReady.Sub(keystoneStart))
		}
		if !heatStart.Equal(mariadbStart) {
			t.Errorf("heat-engine, whose dependencies were not restarted, waited %v", heatStart.Sub(mariadbStart))
		}
		for _, n := range g.Nodes {
			if !restart[n.Name] && !rep.Nodes[n.Name].Skipped {
				t.Errorf("%s was touched", n.Name)
			}
		}
	})
}
