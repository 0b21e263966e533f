package config

import (
	"slices"
	"testing"
)

// HOTSTACK_USER_PASSWORD is an optional secret without a default: unset or
// empty it is valid (post-setup generates one) and is not reported as a
// published default; set, it is a secret like the others.
func TestOptionalSecretMayStayEmpty(t *testing.T) {
	for _, env := range []string{"DB_PASSWORD=mine\n", "DB_PASSWORD=mine\nHOTSTACK_USER_PASSWORD=\n"} {
		c, err := Parse(".env", []byte(env), BaseKeys(), testOpts)
		if err != nil {
			t.Fatalf("%q: %v", env, err)
		}
		if c.Get("HOTSTACK_USER_PASSWORD") != "" || slices.Contains(c.DefaultSecrets(), "HOTSTACK_USER_PASSWORD") {
			t.Errorf("%q: %q, default secrets %v", env, c.Get("HOTSTACK_USER_PASSWORD"), c.DefaultSecrets())
		}
	}
	c, err := Parse(".env", []byte("HOTSTACK_USER_PASSWORD=Hs-unique\n"), BaseKeys(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSecret("HOTSTACK_USER_PASSWORD") || !slices.Contains(c.SecretValues(), "Hs-unique") {
		t.Errorf("not a secret: %v", c.SecretValues())
	}
}
