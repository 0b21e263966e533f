package openstack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// removeLeftovers deletes what an earlier, interrupted run left behind, so
// every run starts from the cloud as it was before any smoke test.
func (s *smoke) removeLeftovers(ctx context.Context) (string, error) {
	found, err := s.findLeftovers(ctx, s.o.Prefix, func(kind) bool { return true })
	if err != nil {
		return "", err
	}
	if len(found) == 0 {
		return "none", nil
	}
	deleted, err := s.deleteAll(ctx, found)
	if err != nil {
		return "", fmt.Errorf("deleted %s; left: %w", summarize(deleted), err)
	}
	return "deleted " + summarize(deleted), nil
}

// findLeftovers lists the project's resources of the wanted kinds named
// prefix-* (router interfaces come with their routers). Networking lists
// are filtered by project, as an admin sees every project's: without a
// project (no token) it finds nothing rather than everyone's.
func (s *smoke) findLeftovers(ctx context.Context, prefix string, wanted func(kind) bool) ([]resource, error) {
	if s.projectID == "" {
		return nil, nil
	}
	finders := []struct {
		kind kind
		find func(context.Context, string) ([]resource, error)
	}{
		{kindServer, s.leftoverServers}, {kindRouter, s.leftoverRouters}, {kindSubnet, s.leftoverSubnets},
		{kindNetwork, s.leftoverNetworks}, {kindImage, s.leftoverImages}, {kindFlavor, s.leftoverFlavors},
		{kindVolume, s.leftoverVolumes}, {kindStack, s.leftoverStacks},
	}
	var found []resource
	var errs []error
	for _, f := range finders {
		if !wanted(f.kind) {
			continue
		}
		rs, err := f.find(ctx, prefix)
		found = append(found, rs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return withoutStackResources(found), errors.Join(errs...)
}

// withoutStackResources drops what a stack among rs owns: Heat names its
// resources "<stack>-<resource>-<suffix>", and deleting the stack deletes
// them in the right order (floating IPs before the router interface they
// use), where deleting them one by one beside Heat fails.
func withoutStackResources(rs []resource) []resource {
	var stacks []string
	for _, r := range rs {
		if r.kind == kindStack {
			stacks = append(stacks, r.name+"-")
		}
	}
	return slices.DeleteFunc(slices.Clone(rs), func(r resource) bool {
		return r.kind != kindStack && slices.ContainsFunc(stacks, func(p string) bool { return strings.HasPrefix(r.name, p) })
	})
}

// collect pages through a list and keeps the leftovers; extract turns a
// page into resources.
func collect(ctx context.Context, prefix, what string, pager pagination.Pager, extract func(pagination.Page) ([]resource, error)) ([]resource, error) {
	var found []resource
	err := pager.EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		rs, err := extract(page)
		for _, r := range rs {
			if isLeftover(r.name, prefix) {
				found = append(found, r)
			}
		}
		return true, err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return found, nil
}

func (s *smoke) leftoverServers(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.compute == nil {
		return nil, nil
	}
	return collect(ctx, prefix, "servers", servers.List(s.clients.compute, servers.ListOpts{}), func(p pagination.Page) ([]resource, error) {
		all, err := servers.ExtractServers(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindServer, id: x.ID, name: x.Name}
		}
		return rs, err
	})
}

func (s *smoke) leftoverFlavors(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.compute == nil {
		return nil, nil
	}
	// Private flavors are listed only when asked for.
	return collect(ctx, prefix, "flavors", flavors.ListDetail(s.clients.compute, flavors.ListOpts{AccessType: flavors.AllAccess}), func(p pagination.Page) ([]resource, error) {
		all, err := flavors.ExtractFlavors(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindFlavor, id: x.ID, name: x.Name}
		}
		return rs, err
	})
}

// leftoverRouters returns each leftover router after its interfaces: a
// router with a subnet attached cannot be deleted.
func (s *smoke) leftoverRouters(ctx context.Context, prefix string) ([]resource, error) {
	c := s.clients.network
	if c == nil {
		return nil, nil
	}
	rts, err := collect(ctx, prefix, "routers", routers.List(c, routers.ListOpts{ProjectID: s.projectID}), func(p pagination.Page) ([]resource, error) {
		all, err := routers.ExtractRouters(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindRouter, id: x.ID, name: x.Name}
		}
		return rs, err
	})
	if err != nil {
		return nil, err
	}
	var found []resource
	for _, rt := range rts {
		pages, err := ports.List(c, ports.ListOpts{DeviceID: rt.id, DeviceOwner: "network:router_interface"}).AllPages(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the ports of router %s: %w", rt.name, err)
		}
		all, err := ports.ExtractPorts(pages)
		if err != nil {
			return nil, fmt.Errorf("list the ports of router %s: %w", rt.name, err)
		}
		for _, p := range all {
			found = append(found, resource{kind: kindRouterInterface, id: p.ID, name: rt.name + " port", router: rt.id})
		}
		found = append(found, rt)
	}
	return found, nil
}

func (s *smoke) leftoverSubnets(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.network == nil {
		return nil, nil
	}
	return collect(ctx, prefix, "subnets", subnets.List(s.clients.network, subnets.ListOpts{ProjectID: s.projectID}), func(p pagination.Page) ([]resource, error) {
		all, err := subnets.ExtractSubnets(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindSubnet, id: x.ID, name: x.Name}
		}
		return rs, err
	})
}

func (s *smoke) leftoverNetworks(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.network == nil {
		return nil, nil
	}
	return collect(ctx, prefix, "networks", networks.List(s.clients.network, networks.ListOpts{ProjectID: s.projectID}), func(p pagination.Page) ([]resource, error) {
		all, err := networks.ExtractNetworks(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindNetwork, id: x.ID, name: x.Name}
		}
		return rs, err
	})
}

func (s *smoke) leftoverImages(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.image == nil {
		return nil, nil
	}
	return collect(ctx, prefix, "images", images.List(s.clients.image, images.ListOpts{Owner: s.projectID}), func(p pagination.Page) ([]resource, error) {
		all, err := images.ExtractImages(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindImage, id: x.ID, name: x.Name}
		}
		return rs, err
	})
}

func (s *smoke) leftoverVolumes(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.volume == nil {
		return nil, nil
	}
	return collect(ctx, prefix, "volumes", volumes.List(s.clients.volume, volumes.ListOpts{}), func(p pagination.Page) ([]resource, error) {
		all, err := volumes.ExtractVolumes(p)
		rs := make([]resource, len(all))
		for i, x := range all {
			rs[i] = resource{kind: kindVolume, id: x.ID, name: x.Name}
		}
		return rs, err
	})
}

func (s *smoke) leftoverStacks(ctx context.Context, prefix string) ([]resource, error) {
	if s.clients.orchestration == nil {
		return nil, nil
	}
	all, err := listStacks(ctx, s.clients.orchestration)
	if err != nil {
		return nil, err
	}
	var found []resource
	for _, x := range all {
		if isLeftover(x.Name, prefix) {
			found = append(found, resource{kind: kindStack, id: x.ID, name: x.Name})
		}
	}
	return found, nil
}
