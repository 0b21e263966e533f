package openstack

import (
	"context"
	"fmt"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/hypervisors"
)

// The compute listings post-setup and the smoke both read.

// allFlavors lists every flavor, public and private.
func allFlavors(ctx context.Context, c *gophercloud.ServiceClient) ([]flavors.Flavor, error) {
	pages, err := flavors.ListDetail(c, flavors.ListOpts{AccessType: flavors.AllAccess}).AllPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("list flavors: %w", err)
	}
	all, err := flavors.ExtractFlavors(pages)
	if err != nil {
		return nil, fmt.Errorf("read flavors: %w", err)
	}
	return all, nil
}

// allHypervisors lists the hypervisors the compute API knows: those of the
// compute hosts mapped to a cell.
func allHypervisors(ctx context.Context, c *gophercloud.ServiceClient) ([]hypervisors.Hypervisor, error) {
	pages, err := hypervisors.List(c, nil).AllPages(ctx)
	if err != nil {
		return nil, fmt.Errorf("list hypervisors: %w", err)
	}
	all, err := hypervisors.ExtractHypervisors(pages)
	if err != nil {
		return nil, fmt.Errorf("list hypervisors: %w", err)
	}
	return all, nil
}
