package stack

import "testing"

// A port gate is checked at the container's own address: a host-network
// service has none, and its gate would silently never apply.
func TestPortGatesHaveAnAddress(t *testing.T) {
	gated := 0
	for _, svc := range Services() {
		if svc.Health.Port == 0 {
			continue
		}
		gated++
		if svc.Container.IPKey == "" {
			t.Errorf("%s: health gate port %d but no container address (IPKey)", svc.Name, svc.Health.Port)
		}
	}
	if gated == 0 {
		t.Errorf("no service has a port gate")
	}
}
