package entrypoint

import (
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

// TestEveryStartHasItsRecipe: the records name start-up recipes by string
// (stack.Start.Recipe); each must be one this package has, with the data it
// reads, and every service-specific piece of code here must belong to a
// service that uses it.
func TestEveryStartHasItsRecipe(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, svc := range st.Containers() {
		s := svc.Start
		if s == nil {
			if svc.Container.Entrypoint != "" {
				t.Errorf("%s: its unit names the entrypoint %s, but its record has no Start", svc.Name, svc.Container.Entrypoint)
			}
			continue
		}
		if _, ok := starterOf(svc); !ok {
			t.Errorf("%s: start-up recipe %q is not one internal/entrypoint has", svc.Name, s.Recipe)
		}
		used[s.Recipe] = true
		switch s.Recipe {
		case stack.StartAPI:
			if s.Catalog == "" {
				t.Errorf("%s: an API needs its catalog name", svc.Name)
			}
			if len(s.Schema) == 0 && apiSteps[svc.Name].schema == nil {
				t.Errorf("%s: an API needs a schema command or schema code", svc.Name)
			}
			used[svc.Name] = true
			fallthrough
		case stack.StartDaemon:
			if s.Project == "" || len(s.Configs) == 0 || len(s.Command) == 0 {
				t.Errorf("%s: a daemon needs its project, configuration and command: %+v", svc.Name, *s)
			}
		}
	}
	for name := range ownRecipes {
		if !used[name] {
			t.Errorf("own recipe %q: no service's record names it", name)
		}
	}
	for name := range apiSteps {
		if !used[name] {
			t.Errorf("API steps of %q: no API service of that name", name)
		}
	}
	if got, want := len(Recipes()), len(Names()); got == 0 || got != want {
		t.Errorf("Recipes has %d entries, Names %d", got, want)
	}
}
