package stack

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/tasks"
)

// Stack is the services and their validated dependency graph. The graph
// (tasks.Graph) is the one model of the dependencies: the engine runs it,
// the progress view and `mage graph` draw it.
type Stack struct {
	services []*Service
	byName   map[string]*Service
	graph    *tasks.Graph
}

// Default returns the HotStack-OS stack. The built-in data is consistent
// (a test proves it); an error would name every problem.
func Default() (*Stack, error) { return New(Services()) }

// New validates services and returns the stack. Each problem names the
// services involved: duplicate names, unknown dependencies, dependencies on
// a later layer, and cycles (tasks.NewGraph checks them).
func New(services []Service) (*Stack, error) {
	nodes := make([]tasks.Node, 0, len(services))
	for i := range services {
		svc := &services[i]
		if svc.StopTimeout == 0 {
			svc.StopTimeout = DefaultStopTimeout
		}
		nodes = append(nodes, tasks.Node{Name: svc.Name, Layer: svc.Layer, Deps: svc.DependsOn, StopTimeout: svc.StopTimeout})
	}
	g, err := tasks.NewGraph(nodes)
	if err != nil {
		return nil, err
	}
	problems := checkKeys(pointers(services))
	for _, svc := range services {
		h := svc.Health.FromHost
		if (h.HTTPPath != "" || h.Listening) && (svc.Health.Port == 0 || svc.Container.IPKey == "") {
			problems = append(problems, fmt.Sprintf("%s: its health is checked at its port from the host, but it has no port gate at an address of its own", svc.Name))
		}
		if h.ConnectedTo > 0 && svc.Container.Network == hostNetwork {
			problems = append(problems, fmt.Sprintf("%s: a connection from the host network proves nothing of this container", svc.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid service records:\n  %s", strings.Join(problems, "\n  "))
	}
	st := &Stack{byName: map[string]*Service{}, graph: g}
	for i := range services {
		st.byName[services[i].Name] = &services[i]
	}
	for _, n := range g.Nodes {
		st.services = append(st.services, st.byName[n.Name])
	}
	return st, nil
}

// Graph is the stack's dependency graph.
func (st *Stack) Graph() *tasks.Graph { return st.graph }

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

// Names returns every service name in layer order.
func (st *Stack) Names() []string {
	out := make([]string, len(st.services))
	for i, s := range st.services {
		out[i] = s.Name
	}
	return out
}

// Schema is the .env schema: the base keys with the services' own (from
// their records: the containers' addresses, the projects' passwords) and
// the release first among the general ones, plus one image override per
// container service, defaulting to the image the release's recipes build.
// Each project's passwords follow the shared ones they fall back on; the
// addresses follow the networks they lie in.
func (st *Stack) Schema() config.Schema {
	base := config.BaseKeys()
	i := slices.IndexFunc(base, func(k config.Key) bool { return k.Name == "SERVICE_PASSWORD" })
	base = slices.Insert(base, i+1, st.passwordKeys()...)
	i = slices.IndexFunc(base, func(k config.Key) bool { return k.Group == "Networks" })
	for i < len(base) && base[i].Group == "Networks" {
		i++
	}
	base = slices.Insert(base, i, st.addressKeys()...)
	i = slices.IndexFunc(base, func(k config.Key) bool { return k.Group == "General" })
	base = slices.Insert(base, max(i, 0), config.Key{Name: ReleaseKey, Kind: config.Enum, Default: DefaultRelease, Choices: ReleaseNames(), Group: "General",
		Doc: "OpenStack release the images are built from: 2025.1 (Epoxy, from Debian 13) or zed (from Debian 12). " +
			"A cloud keeps the release its data was made with: `up` refuses another until that data is purged."})
	var extra []config.Key
	for _, s := range st.Containers() {
		extra = append(extra, config.Key{Name: ImageKey(s.Name), Kind: config.Image, Default: s.Container.Image + ":${" + ReleaseKey + "}", Optional: true,
			Group: "Images", Doc: fmt.Sprintf("Image of %s.", s.Name)})
	}
	return base.With(extra...)
}
