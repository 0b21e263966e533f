package stack

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
)

// The .env keys of the services, which their records carry: each
// container's address (Container.IPKey or Address.ReservedKey, with
// Address) and each project's passwords (Accounts).

// addressKey is the .env key of svc's address, if it has one.
func addressKey(svc *Service) string {
	if svc.Container.IPKey != "" {
		return svc.Container.IPKey
	}
	return svc.Container.Address.ReservedKey
}

// byAddress returns services in the order of their default addresses,
// those without one last. The .env lists the services' keys in this
// order, which the address plan makes the projects' (.1x identity, images
// and placement, .2x nova, .3x networking, .4x cinder, .5x heat).
func byAddress(services []*Service) []*Service {
	ip := func(s *Service) netip.Addr {
		a, _ := netip.ParseAddr(s.Container.Address.IP)
		return a
	}
	out := slices.Clone(services)
	slices.SortStableFunc(out, func(a, b *Service) int {
		ia, ib := ip(a), ip(b)
		if ia.IsValid() != ib.IsValid() {
			if ia.IsValid() {
				return -1
			}
			return 1
		}
		return ia.Compare(ib)
	})
	return out
}

// pointers returns a pointer to each of services.
func pointers(services []Service) []*Service {
	out := make([]*Service, len(services))
	for i := range services {
		out[i] = &services[i]
	}
	return out
}

// accountsOf returns the projects' accounts that services declare, in the
// order of the addresses of the services that declare them.
func accountsOf(services []*Service) []Accounts {
	var out []Accounts
	for _, s := range byAddress(services) {
		if s.Accounts != nil {
			out = append(out, *s.Accounts)
		}
	}
	return out
}

// Accounts returns every project's accounts (Service.Accounts), in the
// order of the addresses of the services that declare them.
func (st *Stack) Accounts() []Accounts { return accountsOf(st.services) }

// addressKeys are the containers' address keys, in address order.
func (st *Stack) addressKeys() []config.Key {
	var out []config.Key
	for _, s := range byAddress(st.services) {
		if k := addressKey(s); k != "" {
			out = append(out, config.ServiceAddress(k, s.Container.Address.IP, s.Container.Address.Doc))
		}
	}
	return out
}

// passwordKeys are the projects' passwords: every database user's, then
// every Keystone service user's.
func (st *Stack) passwordKeys() []config.Key {
	var db, svc []config.Key
	for _, a := range st.Accounts() {
		if len(a.Databases) > 0 {
			db = append(db, config.DatabasePassword(a.Project, a.Databases))
		}
		if a.ServiceUser {
			svc = append(svc, config.ServicePassword(a.Project, a.AlsoFor))
		}
	}
	return append(db, svc...)
}

// checkKeys returns the problems of the records' .env keys, each naming
// its service: an address without its key or default, a key or a
// project's accounts defined twice, and a container that names a
// project's password no service declares (Accounts).
func checkKeys(services []*Service) []string {
	var problems []string
	owner, projects := map[string]string{}, map[string]string{}
	define := func(svc, key string) {
		if o, dup := owner[key]; dup {
			problems = append(problems, fmt.Sprintf("%s: .env key %s is %s's already", svc, key, o))
		}
		owner[key] = svc
	}
	for _, s := range services {
		c := s.Container
		switch {
		case c.IPKey != "" && c.Address.ReservedKey != "":
			problems = append(problems, fmt.Sprintf("%s: an address (IPKey %s) and a reserved one (%s)", s.Name, c.IPKey, c.Address.ReservedKey))
		case addressKey(s) != "" && c.Address.IP == "":
			problems = append(problems, fmt.Sprintf("%s: address key %s has no default (Container.Address.IP)", s.Name, addressKey(s)))
		case addressKey(s) == "" && c.Address.IP != "":
			problems = append(problems, fmt.Sprintf("%s: address %s has no key (Container.IPKey, or Address.ReservedKey on the host's network)", s.Name, c.Address.IP))
		}
		if k := addressKey(s); k != "" {
			define(s.Name, k)
		}
		if a := s.Accounts; a != nil {
			if o, dup := projects[a.Project]; dup {
				problems = append(problems, fmt.Sprintf("%s: project %s's accounts are %s's already", s.Name, a.Project, o))
				continue
			}
			projects[a.Project] = s.Name
			if len(a.Databases) > 0 {
				define(s.Name, config.DatabasePasswordKey(a.Project))
			}
			if a.ServiceUser {
				define(s.Name, config.ServicePasswordKey(a.Project))
			}
		}
	}
	for _, s := range services {
		for _, e := range s.Container.Env {
			if _, ok := owner[e.Name]; !ok && (strings.HasSuffix(e.Name, "_DB_PASSWORD") || strings.HasSuffix(e.Name, "_SERVICE_PASSWORD")) {
				problems = append(problems, fmt.Sprintf("%s: %s names a password no service's Accounts declare", s.Name, e.Name))
			}
		}
	}
	return problems
}
