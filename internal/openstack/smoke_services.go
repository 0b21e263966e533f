package openstack

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	volumeservices "github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/services"
	computeservices "github.com/gophercloud/gophercloud/v2/openstack/compute/v2/services"
)

// role is a part of the cloud that must be running somewhere: a service
// binary, or a network agent under any of the names its flavours report.
type role struct {
	name    string
	accepts []string
}

// unit is one running instance the cloud reports: a service on a host, an
// agent on a chassis.
type unit struct {
	name, host string
	up         bool
}

// rolesUp matches units to roles. It returns "name@host" for each role
// with a unit up, and for each without one why: a unit down, or none
// registered at all (the service never started or never reached the
// message bus). Stale units of old hosts do not matter while one is up.
func rolesUp(roles []role, units []unit) (up, down []string) {
	for _, r := range roles {
		var seen []string
		i := slices.IndexFunc(units, func(u unit) bool { return u.up && slices.Contains(r.accepts, u.name) })
		if i >= 0 {
			up = append(up, units[i].name+"@"+units[i].host)
			continue
		}
		for _, u := range units {
			if slices.Contains(r.accepts, u.name) {
				seen = append(seen, u.host)
			}
		}
		if len(seen) == 0 {
			down = append(down, r.name+" (not registered)")
		} else {
			down = append(down, fmt.Sprintf("%s (down on %s)", r.name, strings.Join(seen, ", ")))
		}
	}
	return up, down
}

// waitRolesUp polls list until every role has a unit up.
func waitRolesUp(ctx context.Context, timeout time.Duration, roles []role, list func(context.Context) ([]unit, error)) (string, error) {
	var up []string
	err := poll(ctx, timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		units, err := list(ctx)
		if err != nil {
			return "", false, err
		}
		var down []string
		up, down = rolesUp(roles, units)
		return "not up: " + strings.Join(down, "; "), len(down) == 0, nil
	})
	if err != nil {
		return "", err
	}
	return strings.Join(up, ", "), nil
}

func binaries(names ...string) []role {
	roles := make([]role, len(names))
	for i, n := range names {
		roles[i] = role{n, []string{n}}
	}
	return roles
}

func (s *smoke) computeServicesUp(ctx context.Context) (string, error) {
	c := s.clients.compute
	if c == nil {
		return "", s.clients.needService("compute")
	}
	return waitRolesUp(ctx, s.o.Timeout, binaries("nova-conductor", "nova-scheduler", "nova-compute"), func(ctx context.Context) ([]unit, error) {
		pages, err := computeservices.List(c, nil).AllPages(ctx)
		if err != nil {
			return nil, fmt.Errorf("list compute services: %w", err)
		}
		all, err := computeservices.ExtractServices(pages)
		units := make([]unit, len(all))
		for i, sv := range all {
			units[i] = unit{sv.Binary, sv.Host, sv.State == "up"}
		}
		return units, err
	})
}

// hypervisorListed waits for nova-compute's host to be discovered: only
// then can the scheduler place a server on it.
func (s *smoke) hypervisorListed(ctx context.Context) (string, error) {
	c := s.clients.compute
	var found string
	err := poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		all, err := allHypervisors(ctx, c)
		if err != nil {
			return "", false, err
		}
		for _, h := range all {
			if h.State == "" || h.State == "up" {
				found = fmt.Sprintf("%s (%s)", h.HypervisorHostname, h.HypervisorType)
				return "", true, nil
			}
		}
		if len(all) == 0 {
			return "no hypervisor listed", false, nil
		}
		return fmt.Sprintf("%d hypervisors listed, none up", len(all)), false, nil
	})
	return found, err
}

// ovnAgents are the agents a compute host of an ML2/OVN cloud needs: the
// controller binds ports on the chassis (it calls itself a gateway agent
// when the chassis also hosts gateway routers), the metadata agent serves
// the metadata of its guests.
func ovnAgents() []role {
	return []role{
		{"OVN controller agent", []string{"OVN Controller Gateway agent", "OVN Controller agent"}},
		{"OVN metadata agent", []string{"OVN Metadata agent"}},
	}
}

func (s *smoke) networkAgentsAlive(ctx context.Context) (string, error) {
	c := s.clients.network
	if c == nil {
		return "", s.clients.needService("network")
	}
	return waitRolesUp(ctx, min(s.o.Timeout, agentWait), ovnAgents(), func(ctx context.Context) ([]unit, error) {
		// The agents are read without gophercloud's agents package: OVN's
		// agents report times as "1970-01-01 00:00:00+00:00", which its
		// time parsing rejects.
		var body struct {
			Agents []struct {
				AgentType string `json:"agent_type"`
				Host      string `json:"host"`
				Alive     bool   `json:"alive"`
			} `json:"agents"`
		}
		if _, err := c.Get(ctx, c.ServiceURL("agents"), &body, nil); err != nil {
			return nil, fmt.Errorf("list network agents: %w", err)
		}
		units := make([]unit, len(body.Agents))
		for i, a := range body.Agents {
			units[i] = unit{a.AgentType, a.Host, a.Alive}
		}
		return units, nil
	})
}

func (s *smoke) volumeServicesUp(ctx context.Context) (string, error) {
	c := s.clients.volume
	if c == nil {
		return "", s.clients.needService("volume")
	}
	return waitRolesUp(ctx, s.o.Timeout, binaries("cinder-scheduler", "cinder-volume"), func(ctx context.Context) ([]unit, error) {
		pages, err := volumeservices.List(c, nil).AllPages(ctx)
		if err != nil {
			return nil, fmt.Errorf("list volume services: %w", err)
		}
		all, err := volumeservices.ExtractServices(pages)
		units := make([]unit, len(all))
		for i, sv := range all {
			units[i] = unit{sv.Binary, sv.Host, sv.State == "up"}
		}
		return units, err
	})
}

func (s *smoke) orchestrationEngineUp(ctx context.Context) (string, error) {
	c := s.clients.orchestration
	if c == nil {
		return "", s.clients.needService("orchestration")
	}
	return waitRolesUp(ctx, s.o.Timeout, binaries("heat-engine"), func(ctx context.Context) ([]unit, error) {
		all, err := listHeatServices(ctx, c)
		units := make([]unit, len(all))
		for i, sv := range all {
			units[i] = unit{sv.Binary, sv.Hostname, sv.Status == "up"}
		}
		return units, err
	})
}
