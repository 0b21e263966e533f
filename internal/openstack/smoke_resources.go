package openstack

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/layer3/routers"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/subnets"
)

// smokeCIDR is the smoke network's subnet: a range unlikely to clash with
// a real tenant network (it stays isolated anyway: the router has no
// gateway).
const smokeCIDR = "192.168.199.0/24"

// The smoke flavor is the smallest server Nova accepts for the boot disk.
const (
	flavorRAM   = 64 // MiB
	flavorVCPUs = 1
	flavorDisk  = 1 // GiB
)

// smokeTemplate is a stack with no resource outside Heat itself, so it
// tests the API, the engine and its database, nothing else.
const smokeTemplate = `heat_template_version: 2018-08-31
description: hotstack-os smoke test
resources:
  marker:
    type: OS::Heat::RandomString
    properties:
      length: 8
`

// attempt notes that the run is about to create resources of these kinds,
// so cleanup looks for any whose create answer it never got.
func (s *smoke) attempt(kinds ...kind) {
	for _, k := range kinds {
		s.attempted[k] = true
	}
}

// track records a resource the moment it exists, so cleanup deletes it
// whatever happens next.
func (s *smoke) track(r resource) { s.created = append(s.created, r) }

func (s *smoke) volumeAvailable(ctx context.Context) (string, error) {
	c := s.clients.volume
	name := s.name("volume")
	s.attempt(kindVolume)
	v, err := volumes.Create(ctx, c, volumes.CreateOpts{Name: name, Size: 1}, nil).Extract()
	if err != nil {
		return "", fmt.Errorf("create volume %s: %w", name, err)
	}
	s.track(resource{kind: kindVolume, id: v.ID, name: name})
	s.volumeID = v.ID
	start := time.Now()
	err = poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		got, err := volumes.Get(ctx, c, v.ID).Extract()
		switch {
		case err != nil:
			return "", false, fmt.Errorf("get volume %s: %w", name, err)
		case got.Status == "error" && got.Host == "":
			return "", false, errors.New("status error: no volume backend took it (see cinder-scheduler's log)")
		case got.Status == "error":
			return "", false, fmt.Errorf("status error on %s (see cinder-volume's log)", got.Host)
		}
		return "status " + got.Status, got.Status == "available", nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("1 GiB available after %s", formatDuration(time.Since(start))), nil
}

func (s *smoke) stackComplete(ctx context.Context) (string, error) {
	c := s.clients.orchestration
	name := s.name("stack")
	s.attempt(kindStack)
	id, err := createStack(ctx, c, name, smokeTemplate, int(max(s.o.Timeout/time.Minute, 1)))
	if err != nil {
		return "", err
	}
	s.track(resource{kind: kindStack, id: id, name: name})
	if _, err := waitStackCreated(ctx, c, name, id, s.o.Timeout); err != nil {
		return "", err
	}
	return "OS::Heat::RandomString stack " + name, nil
}

func (s *smoke) imageActive(ctx context.Context) (string, error) {
	c := s.clients.image
	if c == nil {
		return "", s.clients.needService("image")
	}
	name := s.name("image")
	disk := BootDisk()
	id, err := s.uploadImage(ctx, name, disk, nil)
	if err != nil {
		return "", err
	}
	img, err := images.Get(ctx, c, id).Extract()
	if err != nil {
		return "", fmt.Errorf("get image %s: %w", name, err)
	}
	if err := sameData(img, disk); err != nil {
		return "", err
	}
	s.imageID = img.ID
	return fmt.Sprintf("%d MiB raw boot disk, size and checksum match", len(disk)>>20), nil
}

// sameData compares what Glance stored with what was uploaded: a store
// that truncates or mangles data would still say "active".
func sameData(img *images.Image, disk []byte) error {
	if img.SizeBytes != int64(len(disk)) {
		return fmt.Errorf("image holds %d bytes, %d were uploaded", img.SizeBytes, len(disk))
	}
	sum := md5.Sum(disk) // Glance's legacy "checksum" is MD5
	if img.Checksum != "" && img.Checksum != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("image checksum %s differs from the uploaded data's", img.Checksum)
	}
	return nil
}

func (s *smoke) networkReady(ctx context.Context) (string, error) {
	c := s.clients.network
	if c == nil {
		return "", s.clients.needService("network")
	}
	s.attempt(kindNetwork, kindSubnet, kindRouter)
	net, err := networks.Create(ctx, c, networks.CreateOpts{Name: s.name("net")}).Extract()
	if err != nil {
		return "", fmt.Errorf("create network: %w", err)
	}
	s.track(resource{kind: kindNetwork, id: net.ID, name: net.Name})
	sub, err := subnets.Create(ctx, c, subnets.CreateOpts{
		Name: s.name("subnet"), NetworkID: net.ID, CIDR: smokeCIDR, IPVersion: gophercloud.IPv4,
	}).Extract()
	if err != nil {
		return "", fmt.Errorf("create subnet %s: %w", smokeCIDR, err)
	}
	s.track(resource{kind: kindSubnet, id: sub.ID, name: sub.Name})
	router, err := routers.Create(ctx, c, routers.CreateOpts{Name: s.name("router")}).Extract()
	if err != nil {
		return "", fmt.Errorf("create router: %w", err)
	}
	s.track(resource{kind: kindRouter, id: router.ID, name: router.Name})
	iface, err := routers.AddInterface(ctx, c, router.ID, routers.AddInterfaceOpts{SubnetID: sub.ID}).Extract()
	if err != nil {
		return "", fmt.Errorf("attach subnet %s to router %s: %w", smokeCIDR, router.Name, err)
	}
	s.track(resource{kind: kindRouterInterface, id: iface.PortID, name: router.Name + " port", router: router.ID})
	s.networkID = net.ID
	return fmt.Sprintf("%s attached to router %s", smokeCIDR, router.Name), nil
}

// serverActive boots the smoke image on a flavor of its own.
func (s *smoke) serverActive(ctx context.Context) (string, error) {
	c := s.clients.compute
	flavorID, err := s.createFlavor(ctx)
	if err != nil {
		return "", err
	}
	name := s.name("server")
	s.attempt(kindServer)
	srv, err := servers.Create(ctx, c, servers.CreateOpts{
		Name: name, ImageRef: s.imageID, FlavorRef: flavorID,
		Networks: []servers.Network{{UUID: s.networkID}},
	}, nil).Extract()
	if err != nil {
		return "", fmt.Errorf("create server %s: %w", name, err)
	}
	s.track(resource{kind: kindServer, id: srv.ID, name: name})
	start := time.Now()
	var host string
	err = poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		got, err := servers.Get(ctx, c, srv.ID).Extract()
		switch {
		case err != nil:
			return "", false, fmt.Errorf("get server %s: %w", name, err)
		case got.Status == "ERROR":
			return "", false, fmt.Errorf("server ERROR: %s", faultOf(got))
		}
		host = got.HypervisorHostname
		return fmt.Sprintf("status %s (%s)", got.Status, got.TaskState), got.Status == "ACTIVE", nil
	})
	if err != nil {
		return "", err
	}
	s.serverID = srv.ID
	return fmt.Sprintf("on %s after %s", host, formatDuration(time.Since(start))), nil
}

func faultOf(srv *servers.Server) string {
	if srv.Fault.Message == "" {
		return "no fault recorded (see nova-conductor's and nova-compute's logs)"
	}
	return fmt.Sprintf("%s (code %d)", srv.Fault.Message, srv.Fault.Code)
}

// createFlavor makes the run's private flavor and grants the project
// access: a private flavor is invisible even to the project that made it.
func (s *smoke) createFlavor(ctx context.Context) (string, error) {
	c := s.clients.compute
	name := s.name("flavor")
	s.attempt(kindFlavor)
	disk, public := flavorDisk, false
	f, err := flavors.Create(ctx, c, flavors.CreateOpts{
		Name: name, RAM: flavorRAM, VCPUs: flavorVCPUs, Disk: &disk, IsPublic: &public,
	}).Extract()
	if err != nil {
		return "", fmt.Errorf("create flavor %s: %w", name, err)
	}
	s.track(resource{kind: kindFlavor, id: f.ID, name: name})
	_, err = flavors.AddAccess(ctx, c, f.ID, flavors.AddAccessOpts{Tenant: s.projectID}).Extract()
	if err != nil && !gophercloud.ResponseCodeIs(err, http.StatusConflict) { // 409: already granted
		return "", fmt.Errorf("grant project access to flavor %s: %w", name, err)
	}
	return f.ID, nil
}

// consoleMarker waits for the boot sector's line in the console log.
func (s *smoke) consoleMarker(ctx context.Context) (string, error) {
	c := s.clients.compute
	start := time.Now()
	err := poll(ctx, consoleWait, consoleInterval, func(ctx context.Context) (string, bool, error) {
		out, err := servers.ShowConsoleOutput(ctx, c, s.serverID, servers.ShowConsoleOutputOpts{}).Extract()
		switch {
		case gophercloud.ResponseCodeIs(err, http.StatusNotImplemented):
			// The virt driver keeps no console log: nothing to look at.
			return "", false, skipError{"the hypervisor driver keeps no console log"}
		case err != nil:
			return "", false, fmt.Errorf("get the console log: %w", err)
		}
		return "no marker in the console log; last line: " + lastLine(out), strings.Contains(out, BootMarker), nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%q after %s", BootMarker, formatDuration(time.Since(start))), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last
	}
	return "(empty)"
}
