package systemd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
)

// psJSON is `podman ps --format json` listing the named containers.
func psJSON(names ...string) string {
	var list []map[string]any
	for _, n := range names {
		list = append(list, map[string]any{"Names": []string{n}, "Image": "localhost/x:1", "ImageID": "id-" + n,
			"Labels": map[string]string{"io.hotstack-os.unit": "u-" + n}, "State": "running"})
	}
	out, _ := json.Marshal(list)
	return string(out)
}

func newBackend(t *testing.T, states map[string]UnitState, running ...string) (*Backend, *execx.Fake, *Fake) {
	t.Helper()
	runner := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Args[0] == "ps" {
			return execx.Result{Stdout: []byte(psJSON(running...))}, nil
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
			b, runner, _ := newBackend(t, map[string]UnitState{"hotstack-os-keystone.service": tc.state})
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
	b, _, _ := newBackend(t, states, "hotstack-os-mariadb", "hotstack-os-glance")
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
	b, _, m := newBackend(t, nil)
	if err := b.Start(context.Background(), "keystone"); err != nil {
		t.Fatal(err)
	}
	if calls := m.Calls(); len(calls) != 2 || calls[0] != "reset-failed hotstack-os-keystone.service" {
		t.Fatalf("calls: %v", calls)
	}
}

func TestContainersReadsNamesImagesAndLabels(t *testing.T) {
	b, runner, _ := newBackend(t, nil, "hotstack-os-mariadb", "other")
	got, err := Containers(context.Background(), b.Runner)
	if err != nil {
		t.Fatal(err)
	}
	c := got["hotstack-os-mariadb"]
	if len(got) != 2 || c.ImageID != "id-hotstack-os-mariadb" || c.Image != "localhost/x:1" || c.Labels["io.hotstack-os.unit"] != "u-hotstack-os-mariadb" {
		t.Fatalf("Containers = %+v", got)
	}
	if calls := runner.Calls(); len(calls) != 1 || calls[0] != "podman ps --filter status=running --format json" {
		t.Fatalf("calls %v", calls)
	}
	empty := &execx.Fake{Handler: func(context.Context, execx.Command) (execx.Result, error) {
		return execx.Result{Stdout: []byte("[]\n")}, nil
	}}
	if got, err := Containers(context.Background(), empty); err != nil || len(got) != 0 {
		t.Fatalf("no containers: %v, %v", got, err)
	}
	garbage := &execx.Fake{Handler: func(context.Context, execx.Command) (execx.Result, error) {
		return execx.Result{Stdout: []byte("hotstack-os-x\n")}, nil
	}}
	if _, err := Containers(context.Background(), garbage); err == nil {
		t.Fatal("podman ps output that is not JSON was accepted")
	}
}

func TestRetrying(t *testing.T) {
	for _, c := range []struct {
		st   UnitState
		want bool
	}{
		{UnitState{Active: "activating", Sub: "auto-restart", Restarts: 3}, true},
		{UnitState{Active: "activating", Sub: "start-post", Restarts: 3}, true},
		{UnitState{Active: "activating", Sub: "start-post"}, false},
		{UnitState{Active: "active", Sub: "running", Restarts: 3}, false},
		{UnitState{Active: "failed", Sub: "failed"}, false},
		{UnitState{Active: "inactive", Sub: "dead", Restarts: 2, Job: "restart"}, true},
		{UnitState{Active: "inactive", Sub: "dead", Restarts: 2}, false},
	} {
		if got := c.st.Retrying(); got != c.want {
			t.Errorf("%+v: Retrying %v, want %v", c.st, got, c.want)
		}
	}
	if lastExit(1, 1) != "exited 1" || lastExit(2, 9) != "killed by signal 9" || lastExit(0, 0) != "" {
		t.Error("lastExit")
	}
}
