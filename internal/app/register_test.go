package app

import (
	"slices"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/openstack"
	"github.com/hotstack-os/hotstack-os/stack"
)

// TestEveryAPIIsRegisteredWithItsOwnPassword: up registers each API
// service under the stack's name for it, with the password its container
// carries, and no API container carries the admin password any more.
func TestEveryAPIIsRegisteredWithItsOwnPassword(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	schema := st.Schema()
	for node, api := range openstack.APIs() {
		svc := st.Get(node)
		if svc == nil {
			t.Errorf("%s: no such service in the stack", node)
			continue
		}
		if k, ok := schema.Lookup(api.PasswordKey()); !ok || k.Kind != config.Secret {
			t.Errorf("%s: %s is not a secret of the .env", node, api.PasswordKey())
		}
		var names []string
		for _, e := range svc.Container.Env {
			names = append(names, e.Name)
		}
		if !slices.Contains(names, api.PasswordKey()) {
			t.Errorf("%s does not carry %s, the password it is registered with", node, api.PasswordKey())
		}
		if slices.Contains(names, "KEYSTONE_ADMIN_PASSWORD") {
			t.Errorf("%s carries the admin password", node)
		}
	}
}
