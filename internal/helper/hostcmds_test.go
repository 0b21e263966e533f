package helper

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/hotstack-os/hotstack-os/health"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
)

// TestGateProbeChecksFromTheHostWhereItCan: the gate runs no `podman
// exec` for what it can see from the host, and keeps the container's own
// command for the rest.
func TestGateProbeChecksFromTheHostWhereItCan(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	r := &execx.Fake{}
	inner := func(p health.Prober) health.Prober {
		if g, ok := p.(health.PortGate); ok {
			return g.Prober
		}
		return p
	}
	for service, want := range map[string]any{
		"keystone":       health.HTTP{Addr: "172.31.0.11:5000", Path: "/v3"},
		"cinder-api":     health.HTTP{Addr: "172.31.0.41:8776", Path: "/", AnyStatus: true},
		"rabbitmq":       health.Listening{},
		"mariadb":        health.Hedged{},
		"ovn-controller": health.Hedged{},
		"nova-conductor": health.Connected{},
		"heat-engine":    health.Connected{},
	} {
		svc := st.Get(service)
		gate := ""
		if svc.Health.Port > 0 {
			gate = svc.Container.Address.IP + ":" + strconv.Itoa(svc.Health.Port)
		}
		p, what := gateProbe(r, svc, gate, 0)
		if (gate != "") != isPortGate(p) {
			t.Errorf("%s: port gate %q, probe %T", service, gate, p)
		}
		got := inner(p)
		if reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("%s: probe %T (%s), want %T", service, got, what, want)
			continue
		}
		if h, ok := want.(health.HTTP); ok && got.(health.HTTP) != h {
			t.Errorf("%s: %+v, want %+v", service, got, h)
		}
		if c, ok := got.(health.Connected); ok && c.Port != stack.RabbitPort {
			t.Errorf("%s: connected to %d, want RabbitMQ's port", service, c.Port)
		}
	}
}

func isPortGate(p health.Prober) bool { _, ok := p.(health.PortGate); return ok }
