package stack

import (
	"cmp"
	"slices"
)

// Image is how one image is made: `mage images` (internal/images) builds it
// as one layer of packages on its parent, tagged with the release. A
// service that alone runs an image holds it in its record (Service.Build);
// the images several services share, and those no service runs, are
// sharedImages.
type Image struct {
	// Name is the recipe's short name, which Parent refers to; a service's
	// own image defaults to the service's name.
	Name string
	// Repository is the reference the image is tagged with (before the
	// release's tag); a service's own image is what its container runs.
	Repository string
	// Parent is the image this one is built on; "" for the base, which
	// mmdebstrap makes.
	Parent   string
	Packages []string
	// Stubs are empty packages that only Provide a virtual package, so
	// apt does not pull its heavy real provider (nova-compute's
	// hypervisor: libvirt and qemu run on the host).
	Stubs map[string]string
	// Files are written into the image before the packages are installed:
	// health scripts and shims.
	Files []File
	// Post is shell run after the install, in the same layer.
	Post []string
	// Config are Containerfile instructions after the RUN (CMD, USER, ...).
	Config []string
	// Users are the service accounts the image's services run as. The
	// base creates all of them (ImageUsers), before any package could
	// create one with an id of its choosing.
	Users []ImageUser
}

// File is one file an image recipe puts into its image.
type File struct {
	Path    string
	Mode    uint32
	Content string
}

// ReadyFile is the entrypoint's mark that the service finished its
// bootstrap; the images' health scripts test it.
const ReadyFile = "/run/hotstack-os/ready"

// ContainerHelper is the helper binary as the containers see it (the units
// mount it read-only); the images' shims exec it.
const ContainerHelper = "/usr/local/bin/hotstack-os"

// Images that no single service owns: the base and the OpenStack library
// layer no service runs, and the images several services run. Order
// within a depth is build order (Stack.Images).
var (
	baseImage = Image{Name: "base", Repository: "localhost/hotstack-os-base",
		Packages: []string{"adduser", "ca-certificates", "curl", "iproute2", "netcat-openbsd", "procps",
			// Not needed by the base itself, but pulled by mariadb-server,
			// memcached, keystone, neutron and nova: one copy here.
			"perl"}}
	ovnImage = Image{Name: "ovn", Repository: "localhost/hotstack-os-ovn", Parent: "base", Packages: []string{"ovn-central", "ovn-host"}}
	// openstackCommon holds the libraries shared by two or more services
	// (their dependency closures), so each service layer adds only its own.
	openstackCommon = Image{Name: OpenStackCommon, Repository: "localhost/hotstack-os-openstack-common", Parent: "base",
		Packages: []string{"python3", "python3-pymysql", "python3-oslo.config", "python3-keystonemiddleware", "python3-openstackclient",
			"python3-oslo.db", "python3-oslo.messaging", "python3-oslo.policy", "python3-oslo.reports", "python3-oslo.rootwrap",
			"python3-oslo.upgradecheck", "python3-oslo.limit", "python3-oslo.vmware", "python3-osprofiler", "python3-os-brick",
			"python3-os-vif", "python3-os-resource-classes", "python3-neutron-lib", "python3-tooz", "python3-taskflow",
			"python3-swiftclient", "python3-boto3", "python3-cursive", "python3-designateclient", "python3-microversion-parse",
			"python3-mysqldb", "python3-pastescript", "python3-defusedxml", "python3-pyasn1-modules", "python3-pyudev",
			"python3-ply", "python3-memcache", "q-text-as-data", "dbconfig-common", "sqlite3", "uwsgi-plugin-python3", "qemu-utils", "sudo"}}
	neutronImage = Image{Name: "neutron", Repository: "localhost/hotstack-os-neutron", Parent: OpenStackCommon,
		// neutron-common has the eventlet neutron-server; the metadata
		// agent runs haproxy per network.
		// The OVN driver runs ovn-sbctl (ovn-common) and ovsdb-client
		// (openvswitch-common) to clear the MAC bindings of a router
		// interface that goes away: without them every router
		// teardown fails with HTTP 500. The metadata agent runs
		// iptables-save in each network's namespace: without it no
		// guest gets its metadata.
		Packages: []string{"neutron-common", "neutron-ovn-metadata-agent", "python3-ovsdbapp", "haproxy", "ovn-common", "openvswitch-common", "iptables"},
		Users:    []ImageUser{{"neutron", 42435, "/var/lib/neutron"}}}
	novaImage = Image{Name: "nova", Repository: "localhost/hotstack-os-nova", Parent: OpenStackCommon,
		Packages: []string{"nova-api", "nova-conductor", "nova-scheduler", "nova-compute", "nova-consoleproxy",
			"python3-libvirt", "libvirt-clients", "qemu-utils",
			// Config drives are ISO 9660 images; ovmf's firmware
			// descriptors are how nova finds UEFI loaders (libvirt on the
			// host opens the same paths, from the host's ovmf).
			"genisoimage", "ovmf"},
		Stubs: map[string]string{"hotstack-nova-compute-hypervisor": "nova-compute-hypervisor"},
		Files: append(mountNFS(), File{Path: "/usr/local/bin/nova-compute-healthcheck.sh", Mode: 0o755,
			Content: "#!/bin/sh\n# Healthy once the entrypoint has started nova-compute, and while it runs.\n" +
				"test -f " + ReadyFile + " && pgrep -f bin/nova-compute >/dev/null\n"}),
		Users: []ImageUser{{"nova", 42436, "/var/lib/nova"}}}
	cinderImage = Image{Name: "cinder", Repository: "localhost/hotstack-os-cinder", Parent: OpenStackCommon,
		Packages: []string{"cinder-api", "cinder-scheduler", "cinder-volume", "qemu-utils"}, Files: mountNFS(),
		Users: []ImageUser{{"cinder", 42407, "/var/lib/cinder"}}}
	heatImage = Image{Name: "heat", Repository: "localhost/hotstack-os-heat", Parent: OpenStackCommon, Packages: []string{"heat-api", "heat-engine"},
		Users: []ImageUser{{"heat", 42418, "/var/lib/heat"}}}
)

// OpenStackCommon is the image the OpenStack services' images are built
// on: oslo-config-validator checks their configuration inside them.
const OpenStackCommon = "openstack-common"

// sharedImages are the images no single service owns, in build order.
func sharedImages() []Image {
	return []Image{baseImage, ovnImage, openstackCommon, neutronImage, novaImage, cinderImage, heatImage}
}

// mountNFS replaces mount(8)'s NFS helper with the helper's bind mount:
// a single host needs no NFS client (internal/entrypoint.MountNFS).
func mountNFS() []File {
	return []File{{Path: "/usr/sbin/mount.nfs", Mode: 0o755,
		Content: "#!/bin/sh\nexec " + ContainerHelper + " mount-nfs \"$@\"\n"}}
}

// images is every image recipe in build order: parents first; within a
// depth, the services' own images in stack order, then the shared ones.
func images(services []*Service) []Image {
	var out []Image
	for _, svc := range services {
		if svc.Build != nil {
			out = append(out, *svc.Build)
		}
	}
	out = append(out, sharedImages()...)
	parent := map[string]string{}
	for _, img := range out {
		parent[img.Name] = img.Parent
	}
	depth := func(img Image) int {
		n := 0
		for p := img.Parent; p != "" && n <= len(out); p = parent[p] {
			n++
		}
		return n
	}
	slices.SortStableFunc(out, func(a, b Image) int { return cmp.Compare(depth(a), depth(b)) })
	return out
}

// Images returns every image recipe of the stack in build order (parents
// first).
func (st *Stack) Images() []Image { return images(st.services) }

// ownImages completes the services' own images: the image is named after
// the service, and the container runs it.
func ownImages(services []Service) []Service {
	for i := range services {
		b := services[i].Build
		if b == nil {
			continue
		}
		if b.Name == "" {
			b.Name = services[i].Name
		}
		services[i].Container.Image = b.Repository
	}
	return services
}
