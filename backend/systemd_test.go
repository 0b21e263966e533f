package backend

import (
	"context"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/systemd"
)

// fakeManager serves unit states from a map.
type fakeManager struct {
	systemd.Manager
	states map[string]systemd.UnitState
	reset  []string
}

func (f *fakeManager) State(_ context.Context, unit string) (systemd.UnitState, error) {
	return f.states[unit], nil
}

func (f *fakeManager) States(_ context.Context, units []string) (map[string]systemd.UnitState, error) {
	return f.states, nil
}

func (f *fakeManager) ResetFailed(_ context.Context, unit string) error {
	f.reset = append(f.reset, unit)
	return nil
}

func (f *fakeManager) Start(context.Context, string) error { return nil }

func newBackend(states map[string]systemd.UnitState, running string) (*Systemd, *execx.Fake, *fakeManager) {
	runner := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Args[0] == "ps" {
			return execx.Result{Stdout: []byte(running)}, nil
		}
		return execx.Result{}, nil
	}}
	m := &fakeManager{states: states}
	return &Systemd{Manager: m, Runner: runner, Stack: testStack()}, runner, m
}

func TestProbeReadsUnitStateBeforeExec(t *testing.T) {
	cases := []struct {
		name               string
		state              systemd.UnitState
		healthy, permanent bool
		execs              int
	}{
		{"not installed", systemd.UnitState{Load: "not-found", Active: "inactive"}, false, true, 0},
		{"failed", systemd.UnitState{Load: "loaded", Active: "failed"}, false, true, 0},
		{"inactive", systemd.UnitState{Load: "loaded", Active: "inactive"}, false, false, 0},
		{"active: runs the health command", systemd.UnitState{Load: "loaded", Active: "active"}, true, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, runner, _ := newBackend(map[string]systemd.UnitState{"hotstack-os-keystone.service": tc.state}, "")
			r := b.Probe(context.Background(), "keystone")
			if r.Healthy != tc.healthy || r.Permanent != tc.permanent || len(runner.Calls()) != tc.execs {
				t.Fatalf("got %+v after %v", r, runner.Calls())
			}
		})
	}
}

func TestSnapshotNeedsActiveUnitAndRunningContainer(t *testing.T) {
	states := map[string]systemd.UnitState{
		"hotstack-os-infra-setup.service": {Active: "active"},
		"hotstack-os-mariadb.service":     {Active: "active"},
		"hotstack-os-keystone.service":    {Active: "active"}, // container gone
		"hotstack-os-glance.service":      {Active: "activating"},
	}
	b, _, _ := newBackend(states, "hotstack-os-mariadb\nhotstack-os-glance\n")
	up, err := b.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range up {
		names = append(names, n)
	}
	if len(up) != 2 || !up["infra-setup"] || !up["mariadb"] {
		t.Fatalf("up = %s", strings.Join(names, ","))
	}
}

func TestStartClearsTheStartLimit(t *testing.T) {
	b, _, m := newBackend(nil, "")
	if err := b.Start(context.Background(), "keystone"); err != nil {
		t.Fatal(err)
	}
	if len(m.reset) != 1 || m.reset[0] != "hotstack-os-keystone.service" {
		t.Fatalf("reset-failed calls: %v", m.reset)
	}
}

func testStack() *stack.Stack {
	st, err := stack.Default()
	if err != nil {
		panic(err)
	}
	return st
}
