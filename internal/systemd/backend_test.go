package systemd

import (
	"context"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
)

func newBackend(t *testing.T, states map[string]UnitState, running string) (*Backend, *execx.Fake, *Fake) {
	t.Helper()
	runner := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Args[0] == "ps" {
			return execx.Result{Stdout: []byte(running)}, nil
		}
		return execx.Result{}, nil
	}}
	m := NewFake()
	for unit, st := range states {
		m.Units[unit] = st
	}
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Backend{Manager: m, Runner: runner, Stack: st}, runner, m
}

func TestProbeReadsUnitStateBeforeExec(t *testing.T) {
	cases := []struct {
		name               string
		state              UnitState
		healthy, permanent bool
		execs              int
	}{
		{"not installed", UnitState{Load: "not-found", Active: "inactive"}, false, true, 0},
		{"failed", UnitState{Load: "loaded", Active: "failed"}, false, true, 0},
		{"inactive", UnitState{Load: "loaded", Active: "inactive"}, false, false, 0},
		{"active: runs the health command", UnitState{Load: "loaded", Active: "active"}, true, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, runner, _ := newBackend(t, map[string]UnitState{"hotstack-os-keystone.service": tc.state}, "")
			r := b.Probe(context.Background(), "keystone")
			if r.Healthy != tc.healthy || r.Permanent != tc.permanent || len(runner.Calls()) != tc.execs {
				t.Fatalf("got %+v after %v", r, runner.Calls())
			}
		})
	}
}

func TestSnapshotNeedsActiveUnitAndRunningContainer(t *testing.T) {
	states := map[string]UnitState{
		"hotstack-os-infra-setup.service": {Active: "active"},
		"hotstack-os-mariadb.service":     {Active: "active"},
		"hotstack-os-keystone.service":    {Active: "active"}, // container gone
		"hotstack-os-glance.service":      {Active: "activating"},
	}
	b, _, _ := newBackend(t, states, "hotstack-os-mariadb\nhotstack-os-glance\n")
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
	b, _, m := newBackend(t, nil, "")
	if err := b.Start(context.Background(), "keystone"); err != nil {
		t.Fatal(err)
	}
	if calls := m.Calls(); len(calls) != 2 || calls[0] != "reset-failed hotstack-os-keystone.service" {
		t.Fatalf("calls: %v", calls)
	}
}
