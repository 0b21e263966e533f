// Package images builds every image the units name from Debian 12's own
// packages, with no container registry: the base root filesystem comes
// from mmdebstrap and is loaded with `podman import`; every other image is
// one `podman build` layer on its parent that installs its packages with
// apt. Each image is labelled with the hash of its recipe (and its
// parent's), so a build whose recipe did not change is skipped, and with
// its installed package versions (PackagesLabel); CheckUpdates finds the
// images the archive has updates for, which Build then rebuilds.
package images

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// Recipe is how one image is made.
type Recipe struct {
	Name  string // short name, e.g. "nova"
	Image string // the reference it is tagged with
	// Parent is the recipe this one is built on; "" for the base, which
	// mmdebstrap makes.
	Parent string
	// Suite is the Debian suite the base is made from (the release's).
	Suite    string
	Packages []string
	// Stubs are empty packages that only Provide a virtual package, so
	// apt does not pull its heavy real provider (nova-compute's
	// hypervisor: libvirt and qemu run on the host).
	Stubs map[string]string
	// Files are written into the image before the packages are installed.
	Files []File
	// Post is shell run after the install, in the same layer.
	Post []string
	// Config are Containerfile instructions after the RUN (CMD, USER, ...).
	Config []string
}

// File is one file a recipe puts into its image.
type File struct {
	Path    string
	Mode    uint32
	Content string
}

// Recipes returns every recipe of a release in build order (parents
// first), each image tagged with the release's name, from its Debian
// suite. The entrypoint scripts come from the stack: a service whose unit
// names an --entrypoint gets that script, and an image that one service
// alone runs without one gets the helper as its ENTRYPOINT.
func Recipes(st *stack.Stack, rel stack.Release) []Recipe {
	rs := []Recipe{
		{Name: "base", Image: "localhost/hotstack-os-base",
			Packages: []string{"adduser", "ca-certificates", "curl", "iproute2", "netcat-openbsd", "procps",
				// Not needed by the base itself, but pulled by mariadb-server,
				// memcached, keystone, neutron and nova: one copy here.
				"perl"}},
		{Name: "dnsmasq", Image: "localhost/hotstack-os_dnsmasq", Parent: "base", Packages: []string{"dnsmasq-base"},
			Config: []string{`CMD ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--conf-file=/etc/dnsmasq.conf"]`}},
		{Name: "haproxy", Image: "localhost/hotstack-os_haproxy", Parent: "base", Packages: []string{"haproxy"},
			Post:   []string{"mkdir -p /usr/local/etc/haproxy /run/haproxy"},
			Config: []string{"STOPSIGNAL SIGUSR1", `CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]`}},
		{Name: "mariadb", Image: "localhost/hotstack-os-mariadb", Parent: "base", Packages: []string{"mariadb-server", "mariadb-client"},
			// The postinst initialises a data directory in the image; the
			// host's is mounted over it.
			Post: []string{"rm -rf /var/lib/mysql/*", "chown mysql:mysql /var/lib/mysql"},
			Files: []File{{Path: "/usr/local/bin/healthcheck.sh", Mode: 0o755, Content: "#!/bin/sh\n" +
				"# The upstream image's health command: healthy once the entrypoint's set-up ran\n" +
				"# (databases and the openstack user) and the server answers.\n" +
				"test -f " + ReadyFile + " && exec mariadb-admin --protocol=socket ping >/dev/null\n"}}},
		{Name: "rabbitmq", Image: "localhost/hotstack-os-rabbitmq", Parent: "base", Packages: []string{"rabbitmq-server"},
			Post: []string{"rm -rf /var/lib/rabbitmq/mnesia /var/log/rabbitmq/*"},
			Files: []File{{Path: "/usr/local/bin/rabbitmq-diagnostics", Mode: 0o755, Content: "#!/bin/sh\n" +
				"# Ahead of /usr/sbin on PATH: `ping` is the health command, and the broker is\n" +
				"# ready only once the entrypoint has created the OpenStack user.\n" +
				"if [ \"$1\" = ping ] && [ ! -f " + ReadyFile + " ]; then echo \"users not set up yet\"; exit 1; fi\n" +
				"exec /usr/sbin/rabbitmq-diagnostics \"$@\"\n"}}},
		{Name: "memcached", Image: "localhost/hotstack-os-memcached", Parent: "base", Packages: []string{"memcached"},
			// As the upstream image: the unit's arguments are the command.
			Config: []string{"USER memcache", `CMD ["memcached", "-m", "64"]`}},
		{Name: "ovn", Image: "localhost/hotstack-os-ovn", Parent: "base", Packages: []string{"ovn-central", "ovn-host"}},
		{Name: "openstack-common", Image: "localhost/hotstack-os-openstack-common", Parent: "base",
			// Libraries shared by two or more services (their dependency
			// closures), so each service layer adds only its own.
			Packages: []string{"python3", "python3-pymysql", "python3-oslo.config", "python3-keystonemiddleware", "python3-openstackclient",
				"python3-oslo.db", "python3-oslo.messaging", "python3-oslo.policy", "python3-oslo.reports", "python3-oslo.rootwrap",
				"python3-oslo.upgradecheck", "python3-oslo.limit", "python3-oslo.vmware", "python3-osprofiler", "python3-os-brick",
				"python3-os-vif", "python3-os-resource-classes", "python3-neutron-lib", "python3-tooz", "python3-taskflow",
				"python3-swiftclient", "python3-boto3", "python3-cursive", "python3-designateclient", "python3-microversion-parse",
				"python3-mysqldb", "python3-pastescript", "python3-defusedxml", "python3-pyasn1-modules", "python3-pyudev",
				"python3-ply", "python3-memcache", "q-text-as-data", "dbconfig-common", "sqlite3", "uwsgi-plugin-python3", "qemu-utils", "sudo"}},
		{Name: "keystone", Image: "localhost/hotstack-os_keystone", Parent: "openstack-common", Packages: []string{"keystone"},
			Files: []File{{Path: "/usr/local/bin/keystone-healthcheck.sh", Mode: 0o755,
				Content: "#!/bin/sh\nexec curl -sf -o /dev/null http://localhost:5000/v3\n"}}},
		{Name: "glance", Image: "localhost/hotstack-os_glance", Parent: "openstack-common", Packages: []string{"glance-api"}},
		{Name: "placement", Image: "localhost/hotstack-os_placement", Parent: "openstack-common", Packages: []string{"placement-api"}},
		{Name: "neutron", Image: "localhost/hotstack-os-neutron", Parent: "openstack-common",
			// neutron-common has the eventlet neutron-server; the metadata
			// agent runs haproxy per network.
			// The OVN driver runs ovn-sbctl (ovn-common) and ovsdb-client
			// (openvswitch-common) to clear the MAC bindings of a router
			// interface that goes away: without them every router
			// teardown fails with HTTP 500. The metadata agent runs
			// iptables-save in each network's namespace: without it no
			// guest gets its metadata.
			Packages: []string{"neutron-common", "neutron-ovn-metadata-agent", "python3-ovsdbapp", "haproxy", "ovn-common", "openvswitch-common", "iptables"}},
		{Name: "nova", Image: "localhost/hotstack-os-nova", Parent: "openstack-common",
			Packages: []string{"nova-api", "nova-conductor", "nova-scheduler", "nova-compute", "nova-consoleproxy",
				"python3-libvirt", "libvirt-clients", "qemu-utils",
				// Config drives are ISO 9660 images; ovmf's firmware
				// descriptors are how nova finds UEFI loaders (libvirt on the
				// host opens the same paths, from the host's ovmf).
				"genisoimage", "ovmf"},
			Stubs: map[string]string{"hotstack-nova-compute-hypervisor": "nova-compute-hypervisor"},
			Files: append(mountNFS(), File{Path: "/usr/local/bin/nova-compute-healthcheck.sh", Mode: 0o755,
				Content: "#!/bin/sh\n# Healthy once the entrypoint has started nova-compute, and while it runs.\n" +
					"test -f " + ReadyFile + " && pgrep -f bin/nova-compute >/dev/null\n"})},
		{Name: "cinder", Image: "localhost/hotstack-os-cinder", Parent: "openstack-common",
			Packages: []string{"cinder-api", "cinder-scheduler", "cinder-volume", "qemu-utils"}, Files: mountNFS()},
		{Name: "heat", Image: "localhost/hotstack-os-heat", Parent: "openstack-common", Packages: []string{"heat-api", "heat-engine"}},
		// The test guest's disk (CirrOS's role), made from Debian's kernel,
		// busybox and dropbear. No unit runs it: `mage images` builds it for
		// the tests, which copy the disk out (guest.Extract).
		{Name: "guest", Image: "localhost/hotstack-os-guest", Parent: "base", Packages: guest.Packages(), Stubs: guest.Stubs(),
			Files: []File{{Path: guest.BuildScriptPath, Mode: 0o755, Content: guest.BuildScript()}},
			Post:  []string{guest.BuildScriptPath}},
	}
	for i := range rs {
		rs[i].Files = append(rs[i].Files, entrypoints(st, rs[i].Image)...)
		if e := defaultEntrypoint(st, rs[i].Image); e != "" {
			rs[i].Config = append(rs[i].Config, e)
		}
		rs[i].Image += ":" + rel.Name
		rs[i].Suite = rel.Suite
		rs[i].Packages = slices.DeleteFunc(rs[i].Packages, func(p string) bool { return !rel.Has(p) })
	}
	return rs
}

// ReadyFile is the entrypoint's mark that the service finished its
// bootstrap; the images' health scripts test it.
const ReadyFile = entrypoint.ReadyFile

// mountNFS replaces mount(8)'s NFS helper with the helper's bind mount:
// a single host needs no NFS client (internal/entrypoint.MountNFS).
func mountNFS() []File {
	return []File{{Path: "/usr/sbin/mount.nfs", Mode: 0o755,
		Content: "#!/bin/sh\nexec " + units.ContainerHelper + " mount-nfs \"$@\"\n"}}
}

// entrypoints are the scripts the units name with --entrypoint for the
// services that run image.
func entrypoints(st *stack.Stack, image string) []File {
	var out []File
	for _, svc := range st.Containers() {
		if svc.Container.Image != image || svc.Container.Entrypoint == "" {
			continue
		}
		out = append(out, File{Path: svc.Container.Entrypoint, Mode: 0o755,
			Content: fmt.Sprintf("#!/bin/sh\nexec %s entrypoint %s \"$@\"\n", units.ContainerHelper, svc.Name)})
	}
	return out
}

// defaultEntrypoint is the ENTRYPOINT of an image that exactly one service
// runs, without an --entrypoint of its own and without a CMD of the
// recipe's: the helper's entrypoint for that service.
func defaultEntrypoint(st *stack.Stack, image string) string {
	var users []*stack.Service
	for _, svc := range st.Containers() {
		if svc.Container.Image == image {
			users = append(users, svc)
		}
	}
	if len(users) != 1 || users[0].Container.Entrypoint != "" {
		return ""
	}
	if _, ok := entrypoint.Recipes()[users[0].Name]; !ok {
		return "" // memcached, dnsmasq and haproxy run their daemon directly
	}
	return fmt.Sprintf(`ENTRYPOINT [%q, "entrypoint", %q]`, units.ContainerHelper, users[0].Name)
}

// OpenStackImages are the images of the recipes built on
// openstack-common: the OpenStack services, whose configuration
// oslo-config-validator checks inside them.
func OpenStackImages(rs []Recipe) []string {
	var out []string
	for _, r := range rs {
		if r.Parent == "openstack-common" {
			out = append(out, r.Image)
		}
	}
	return out
}

// byName indexes recipes.
// For returns the recipes that build images, each with the parents it is
// built on, in build order, and the images no recipe builds.
func For(rs []Recipe, images []string) (needed []Recipe, unknown []string) {
	byImage := map[string]Recipe{}
	for _, r := range rs {
		byImage[r.Image] = r
	}
	names := byName(rs)
	want := map[string]bool{}
	for _, img := range images {
		r, ok := byImage[img]
		if !ok {
			unknown = append(unknown, img)
			continue
		}
		for ; !want[r.Name]; r = names[r.Parent] {
			want[r.Name] = true
			if r.Parent == "" {
				break
			}
		}
	}
	for _, r := range rs {
		if want[r.Name] {
			needed = append(needed, r)
		}
	}
	return needed, unknown
}

func byName(rs []Recipe) map[string]Recipe {
	m := make(map[string]Recipe, len(rs))
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

// String names a recipe for messages.
func (r Recipe) String() string {
	return r.Name + " (" + strings.TrimPrefix(r.Image, "localhost/") + ")"
}
