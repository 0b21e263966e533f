package stack

import (
	"strings"
	"testing"
)

// testStack is the built-in stack; the built-in data must be consistent.
func testStack(t *testing.T) *Stack {
	t.Helper()
	st, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDefaultStackShape(t *testing.T) {
	st := testStack(t)
	if n := len(st.Services()); n != 23 {
		t.Fatalf("%d services, want 23 (22 containers + infra)", n)
	}
	layers := st.Graph().Layers()
	if n := len(layers); n != 8 {
		t.Fatalf("%d layers, want 8", n)
	}
	sizes := []int{1, 5, 1, 2, 4, 5, 3, 2}
	for i, l := range layers {
		if len(l) != sizes[i] {
			t.Errorf("layer %d has %d services, want %d", i+1, len(l), sizes[i])
		}
	}
}

func TestGraphValidation(t *testing.T) {
	svc := func(name string, layer int, deps ...string) Service {
		return Service{Name: name, Layer: layer, DependsOn: deps}
	}
	cases := []struct {
		name     string
		services []Service
		want     string
	}{
		{"unknown dependency", []Service{svc("a", 1, "ghost")}, `a depends on unknown service "ghost"`},
		{"later layer", []Service{svc("a", 1, "b"), svc("b", 2)}, "a (layer 1) depends on b from later layer 2"},
		{"cycle", []Service{svc("a", 1, "c"), svc("b", 1, "a"), svc("c", 1, "b")}, "dependency cycle: a -> c -> b -> a"},
		{"duplicate", []Service{svc("a", 1), svc("a", 1)}, `service "a" is defined twice`},
		{"self", []Service{svc("a", 1, "a")}, "dependency cycle: a -> a"},
		{"no layer", []Service{svc("a", 0)}, `service "a" has no layer`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.services)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestImageKeysInSchema(t *testing.T) {
	schema := testStack(t).Schema()
	k, ok := schema.Lookup("KEYSTONE_IMAGE")
	if !ok || k.Default != "localhost/hotstack-os_keystone:${OPENSTACK_RELEASE}" {
		t.Fatalf("KEYSTONE_IMAGE = %+v", k)
	}
	if k, _ := schema.Lookup("NOVA_COMPUTE_IMAGE"); k.Default != "localhost/hotstack-os-nova:${OPENSTACK_RELEASE}" {
		t.Fatalf("NOVA_COMPUTE_IMAGE default %q", k.Default)
	}
}
