package stack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
)

// Stack is a validated service graph.
type Stack struct {
	services []*Service
	byName   map[string]*Service
}

// GraphError reports a broken dependency graph, naming the services.
type GraphError struct{ Problems []string }

func (e *GraphError) Error() string {
	return "invalid service graph:\n  " + strings.Join(e.Problems, "\n  ")
}

// Default returns the HotStack-OS stack. It panics if the built-in data is
// inconsistent, which the tests rule out.
func Default() *Stack {
	st, err := New(Services())
	if err != nil {
		panic(err)
	}
	return st
}

// New validates services and returns the stack. Each problem names the
// services involved: duplicate names, unknown dependencies, dependencies on
// a later layer, and cycles.
func New(services []Service) (*Stack, error) {
	st := &Stack{byName: map[string]*Service{}}
	var problems []string
	for i := range services {
		svc := services[i]
		if svc.StopTimeout == 0 {
			svc.StopTimeout = defaultStop
		}
		if _, dup := st.byName[svc.Name]; dup {
			problems = append(problems, fmt.Sprintf("service %q is defined twice", svc.Name))
			continue
		}
		if svc.Layer < 1 {
			problems = append(problems, fmt.Sprintf("service %q has no layer", svc.Name))
		}
		st.services = append(st.services, &svc)
		st.byName[svc.Name] = &svc
	}
	for _, svc := range st.services {
		for _, dep := range svc.DependsOn {
			d, ok := st.byName[dep]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s depends on unknown service %q", svc.Name, dep))
			case d.Layer > svc.Layer:
				problems = append(problems, fmt.Sprintf("%s (layer %d) depends on %s from later layer %d", svc.Name, svc.Layer, dep, d.Layer))
			}
		}
	}
	if cycle := st.findCycle(); cycle != nil {
		problems = append(problems, "dependency cycle: "+strings.Join(cycle, " -> "))
	}
	if len(problems) > 0 {
		return nil, &GraphError{Problems: problems}
	}
	sort.SliceStable(st.services, func(i, j int) bool { return st.services[i].Layer < st.services[j].Layer })
	return st, nil
}

// findCycle returns one cycle as a path of names, or nil.
func (st *Stack) findCycle() []string {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		state[name] = onPath
		path = append(path, name)
		for _, dep := range st.byName[name].DependsOn {
			if _, ok := st.byName[dep]; !ok {
				continue
			}
			switch state[dep] {
			case onPath:
				for i, n := range path {
					if n == dep {
						return append(append([]string{}, path[i:]...), dep)
					}
				}
			case unseen:
				if c := visit(dep); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, svc := range st.services {
		if state[svc.Name] == unseen {
			if c := visit(svc.Name); c != nil {
				return c
			}
		}
	}
	return nil
}

// Services returns every service in layer order (stable within a layer).
func (st *Stack) Services() []*Service { return st.services }

// Containers returns the container services (all but the oneshot).
func (st *Stack) Containers() []*Service {
	var out []*Service
	for _, s := range st.services {
		if !s.Oneshot {
			out = append(out, s)
		}
	}
	return out
}

// Get returns the named service, or nil.
func (st *Stack) Get(name string) *Service { return st.byName[name] }

// Layers groups services by layer, in order.
func (st *Stack) Layers() [][]*Service {
	var out [][]*Service
	for _, s := range st.services {
		if len(out) == 0 || out[len(out)-1][0].Layer != s.Layer {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
	}
	return out
}

// Dependents returns the services that depend on name directly.
func (st *Stack) Dependents(name string) []*Service {
	var out []*Service
	for _, s := range st.services {
		for _, d := range s.DependsOn {
			if d == name {
				out = append(out, s)
			}
		}
	}
	return out
}

// Schema is the .env schema: the base keys plus one image override per
// container service, defaulting to the image the original build produces.
func (st *Stack) Schema() config.Schema {
	var extra []config.Key
	for _, s := range st.Containers() {
		extra = append(extra, config.Key{Name: ImageKey(s.Name), Kind: config.Image, Default: s.Container.Image, Optional: true,
			Group: "Images", Doc: fmt.Sprintf("Image of %s.", s.Name)})
	}
	return config.BaseKeys.With(extra...)
}
