package app

import (
	"context"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

func TestDownStopsInReverseLayerOrder(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.setAll(true)
	if err := h.app.Down(context.Background()); err != nil {
		t.Fatalf("down: %v\n%s", err, h.logs.String())
	}
	stops := h.calls("stop")
	if len(stops) != 24 || stops[len(stops)-1] != stack.TargetName || stops[len(stops)-2] != stack.UnitName(stack.InfraName) {
		t.Fatalf("stops: %v (want every unit, the infra oneshot, then the target)", stops)
	}
	layer := map[string]int{}
	for _, svc := range h.o.Stack.Services() {
		layer[stack.UnitName(svc.Name)] = svc.Layer
	}
	for i := 1; i < len(stops)-1; i++ {
		if layer[stops[i]] > layer[stops[i-1]] {
			t.Errorf("%s (layer %d) stopped after %s (layer %d)", stops[i], layer[stops[i]], stops[i-1], layer[stops[i-1]])
		}
	}
	if !strings.Contains(h.logs.String(), "down: stack stopped in") {
		t.Fatalf("logs:\n%s", h.logs.String())
	}
}
