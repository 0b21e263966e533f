// Package config turns a .env file into typed, validated settings.
//
// The schema (every key, its kind, default and meaning) is data: it drives
// parsing, validation, the generated .env.example and the README's
// configuration reference, so the three cannot drift apart.
package config

import (
	"fmt"
	"strings"
)

// Kind says how a key's value is checked.
type Kind int

const (
	String    Kind = iota
	Secret         // non-empty; never written to a world-readable file
	HostIP         // an IPv4 address
	ServiceIP      // an IPv4 address inside CONTAINER_NETWORK, unique
	Network        // an IPv4 CIDR
	Path           // an absolute path
	Int            // a decimal integer within [Min, Max]
	Bool           // true or false
	Image          // a container image reference
	Enum           // one of Choices
	// VLANRanges is neutron's network_vlan_ranges on the provider physical
	// network: provider:MIN:MAX[,provider:MIN:MAX...].
	VLANRanges
	// ImageSource is where a Glance image comes from: an http(s) URL, an
	// absolute file path (or file:// URL), or empty for none.
	ImageSource
)

// Key describes one .env key.
type Key struct {
	Name    string
	Kind    Kind
	Default string
	// Optional keys appear commented out in .env.example.
	Optional bool
	Doc      string
	Min, Max int      // for Int
	Choices  []string // for Enum
	// Generated secrets that are empty after loading get a random value,
	// made once and kept with the data (see GeneratedSecrets).
	Generated bool
	// Group is the heading the key is listed under in .env.example and the
	// README.
	Group string
}

// Schema is the ordered list of keys a .env may set.
type Schema []Key

// Lookup returns the key named name.
func (s Schema) Lookup(name string) (Key, bool) {
	for _, k := range s {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

// With returns a new schema with extra keys appended.
func (s Schema) With(extra ...Key) Schema {
	out := make(Schema, 0, len(s)+len(extra))
	return append(append(out, s...), extra...)
}

// HostnameDefault is the default of CHASSIS_HOSTNAME: it stands for this
// host's name, read when the config is loaded.
const HostnameDefault = "<output of hostname>"

// BaseKeys returns the settings that belong to no one service: those of
// the original deployment plus those hotstack-os adds. The stack adds each
// service's own keys (stack's Schema), made by ServiceAddress,
// DatabasePassword and ServicePassword from its record, and its image
// override.
func BaseKeys() Schema {
	keys := Schema{
		{Name: "KEYSTONE_ADMIN_PASSWORD", Kind: Secret, Generated: true, Optional: true, Group: "Secrets", Doc: "Password of the Keystone admin user. `mage post-setup` writes it into the admin entry of /etc/openstack/clouds.yaml (mode 0600)."},
		{Name: "MYSQL_ROOT_PASSWORD", Kind: Secret, Generated: true, Optional: true, Group: "Secrets", Doc: "MariaDB root password."},
		{Name: "DB_PASSWORD", Kind: Secret, Optional: true, Group: "Secrets", Doc: "One database password for every service that has no <SERVICE>_DB_PASSWORD of its own (older .env files set this); empty: each service gets its own."},
		{Name: "SERVICE_PASSWORD", Kind: Secret, Optional: true, Group: "Secrets", Doc: "One Keystone password for every service user that has no <SERVICE>_SERVICE_PASSWORD of its own (older .env files set this); empty: each service user gets its own."},
		{Name: "METADATA_SECRET", Kind: Secret, Generated: true, Optional: true, Group: "Secrets", Doc: "Shared secret that signs the instance ID between the metadata proxy (neutron) and nova's metadata API."},
		{Name: "MEMCACHE_SECRET_KEY", Kind: Secret, Generated: true, Optional: true, Group: "Secrets", Doc: "Key that protects (encrypts and authenticates) the API services' token cache in memcached (keystonemiddleware's memcache_secret_key)."},
		{Name: "RABBITMQ_DEFAULT_USER", Kind: String, Default: "openstack", Group: "Secrets", Doc: "RabbitMQ user the services connect as."},
		{Name: "RABBITMQ_DEFAULT_PASS", Kind: Secret, Generated: true, Optional: true, Group: "Secrets", Doc: "RabbitMQ password."},
		{Name: "HOTSTACK_USER_PASSWORD", Kind: Secret, Default: "", Optional: true, Group: "Secrets", Doc: "Password of the hotstack cloud user `mage post-setup` creates. When unset (the default), post-setup generates one on its first run and keeps it in /etc/hotstack-os/hotstack-user.password (mode 0600)."},
		{Name: "ALLOW_PUBLISHED_PASSWORDS", Kind: Bool, Default: "false", Optional: true, Group: "Secrets", Doc: "Accept a password that has been published (admin, rootpass, openstack: the old example's), for a throwaway cloud only; by default such a value is refused."},

		{Name: "DEBUG_LOGGING", Kind: Bool, Default: "false", Group: "General", Doc: "Verbose logging in the OpenStack services."},
		{Name: "REGION_NAME", Kind: String, Default: "RegionOne", Group: "General", Doc: "OpenStack region name."},
		{Name: "KEYSTONE_TOKEN_EXPIRATION", Kind: Int, Default: "3600", Min: 300, Max: 86400, Optional: true, Group: "General", Doc: "Lifetime of a Keystone token, in seconds (keystone.conf [token] expiration)."},

		{Name: "CONTAINER_NETWORK", Kind: Network, Default: "172.31.0.0/25", Group: "Networks", Doc: "Subnet of the hotstack-os podman network; every service IP lies in it."},
		{Name: "PROVIDER_NETWORK", Kind: Network, Default: "172.31.0.128/25", Group: "Networks", Doc: "Provider network routed through the hot-ex bridge; must not overlap CONTAINER_NETWORK."},
		{Name: "BREX_IP", Kind: HostIP, Default: "172.31.0.129", Group: "Networks", Doc: "Address of hot-ex, inside PROVIDER_NETWORK; the public API endpoints resolve to it."},
		{Name: "GLOBAL_PHYSNET_MTU", Kind: Int, Default: "1500", Min: 1280, Max: 9216, Group: "Networks", Doc: "MTU requested for the hot-int and hot-ex bridge interfaces."},
		{Name: "PATH_MTU", Kind: Int, Default: "0", Min: 0, Max: 9216, Optional: true, Group: "Networks", Doc: "MTU of the underlay that tenant (geneve) networks are carried over (neutron's path_mtu); 0 means GLOBAL_PHYSNET_MTU."},
		{Name: "NEUTRON_VLAN_RANGES", Kind: VLANRanges, Default: "provider:100:200", Optional: true, Group: "Networks", Doc: "VLAN IDs tenant and provider VLAN networks may use on the provider physical network (neutron's network_vlan_ranges), as provider:MIN:MAX, comma-separated."},
		{Name: "OVS_DATAPATH_TYPE", Kind: Enum, Default: "auto", Choices: []string{"auto", "system", "netdev"}, Optional: true, Group: "Networks", Doc: "Open vSwitch datapath of the bridges: system (the openvswitch kernel module), netdev (userspace), or auto: system where the kernel has the module, else netdev (setup says so)."},

		{Name: "NOVA_VIRT_TYPE", Kind: Enum, Default: "auto", Choices: []string{"auto", "kvm", "qemu"}, Optional: true, Group: "General", Doc: "How guests run: kvm, qemu (emulation, TCG), or auto: setup boots the test guest's kernel under KVM once per host boot and uses KVM only when that works."},
		{Name: "NOVA_CPU_MODE", Kind: Enum, Default: "host-model", Choices: []string{"host-model", "host-passthrough"}, Optional: true, Group: "General", Doc: "CPU guests see under KVM (nova's [libvirt] cpu_mode): host-model, or host-passthrough for nested virtualization with every host CPU feature (it failed on a nested-KVM host here: QEMU could not set MSR 0x10a). Under emulation (TCG) libvirt's default CPU is used."},
		{Name: "NOVA_CPU_ALLOCATION_RATIO", Kind: Int, Default: "16", Min: 1, Max: 64, Optional: true, Group: "General", Doc: "Virtual CPUs nova may place per host CPU (nova's cpu_allocation_ratio; RAM is never overcommitted). Guests' vCPUs share the host's cores; with nova's own default of 4 a 2-core host holds 8 one-vCPU servers, and HotStack's uni01alpha scenario (11 servers) does not fit."},
		{Name: "HOTSTACK_DATA_DIR", Kind: Path, Default: "/var/lib/hotstack-os", Optional: true, Group: "Storage", Doc: "Root of all persistent data and the rendered runtime configuration."},
		{Name: "NOVA_INSTANCES_PATH", Kind: Path, Default: "${HOTSTACK_DATA_DIR}/nova-instances", Optional: true, Group: "Storage", Doc: "Nova instance directory, shared with the host."},
		{Name: "NOVA_NFS_MOUNT_POINT_BASE", Kind: Path, Default: "${HOTSTACK_DATA_DIR}/nova-mnt", Optional: true, Group: "Storage", Doc: "Where nova-compute mounts Cinder NFS volumes."},
		{Name: "CINDER_NFS_EXPORT_DIR", Kind: Path, Default: "${HOTSTACK_DATA_DIR}/cinder-nfs", Optional: true, Group: "Storage", Doc: "Directory that holds the Cinder volumes: the share of its NFS driver (127.0.0.1:DIR), which cinder-volume and nova-compute reach as a bind mount; no NFS server runs."},
		{Name: "CHASSIS_HOSTNAME", Kind: String, Default: HostnameDefault, Optional: true, Group: "Storage", Doc: "OVN chassis name of this host; defaults to the host name."},
	}
	return append(keys, imageKeys()...)
}

// ServiceAddress is the key name: a service's address on the container
// network, ip unless the .env sets another; doc says what runs there.
func ServiceAddress(name, ip, doc string) Key {
	return Key{Name: name, Kind: ServiceIP, Default: ip, Group: "Service addresses", Doc: doc}
}

// DatabasePasswordKey names the password of the MariaDB user user
// (<USER>_DB_PASSWORD).
func DatabasePasswordKey(user string) string { return strings.ToUpper(user) + "_DB_PASSWORD" }

// ServicePasswordKey names the password of the Keystone service user user
// (<USER>_SERVICE_PASSWORD).
func ServicePasswordKey(user string) string { return strings.ToUpper(user) + "_SERVICE_PASSWORD" }

// DatabasePassword is the key of the password of the MariaDB user user,
// which may use databases (at least one) only. Unset, it is DB_PASSWORD's
// value when an older .env sets that, else generated.
func DatabasePassword(user string, databases []string) Key {
	which := "the database " + strings.Join(databases, "")
	if n := len(databases); n > 1 {
		which = "the databases " + strings.Join(databases[:n-1], ", ") + " and " + databases[n-1]
	}
	return Key{Name: DatabasePasswordKey(user), Kind: Secret, Default: "${DB_PASSWORD}", Generated: true, Optional: true, Group: "Secrets",
		Doc: fmt.Sprintf("Password of the MariaDB user %s, which may use only %s.", user, which)}
}

// ServicePassword is the key of the password of the Keystone service user
// user, and of the users also names ("" for none). Unset, it is
// SERVICE_PASSWORD's value when an older .env sets that, else generated.
func ServicePassword(user, also string) Key {
	doc := "Password of the Keystone service user " + user
	if also != "" {
		doc += " and of " + also
	}
	return Key{Name: ServicePasswordKey(user), Kind: Secret, Default: "${SERVICE_PASSWORD}", Generated: true, Optional: true, Group: "Secrets",
		Doc: doc + "."}
}

// releases is where HotStack publishes its own images.
const releases = "https://github.com/openstack-k8s-operators/hotstack/releases/download/"

// imageKeys are the sources of the images post-setup uploads, the
// original's names and addresses. Each is an http(s) URL, a local file,
// or empty to skip that image.
func imageKeys() []Key {
	image := func(name, def, doc string) Key {
		return Key{Name: name, Kind: ImageSource, Default: def, Optional: true, Group: "Images", Doc: doc}
	}
	return []Key{
		image("HOTSTACK_CIRROS_URL", "http://download.cirros-cloud.net/0.6.2/cirros-0.6.2-x86_64-disk.img", "Glance image cirros (qcow2). Like every image key: an http(s) URL, a local file (absolute path or file://), or empty to skip it. post-setup uploads an image only when Glance has none of its name, downloading it once into /var/cache/hotstack-os/images."),
		image("HOTSTACK_CENTOS_STREAM_9_URL", "https://cloud.centos.org/centos/9-stream/x86_64/images/CentOS-Stream-GenericCloud-x86_64-9-latest.x86_64.qcow2", "Glance image CentOS-Stream-GenericCloud-9 (qcow2, UEFI, q35)."),
		image("HOTSTACK_CONTROLLER_IMAGE_URL", releases+"latest-controller/controller-latest.qcow2", "Glance image hotstack-controller (qcow2): the scenarios' controller."),
		image("HOTSTACK_BLANK_IMAGE_URL", releases+"latest-blank/blank-image-latest.qcow2", "Glance image sushy-tools-blank-image (qcow2, UEFI, q35)."),
		image("HOTSTACK_UEFI_NETBOOT_URL", releases+"latest-uefi-netboot/uefi-netboot-latest.img", "Glance image uefi-netboot (raw, UEFI, q35)."),
		image("HOTSTACK_IPXE_BIOS_URL", releases+"latest-ipxe/ipxe-bios-latest.img", "Glance images ipxe-boot-usb and ipxe-rescue-bios (raw; the second a USB CD-ROM rescue image)."),
		image("HOTSTACK_IPXE_EFI_URL", releases+"latest-ipxe/ipxe-efi-latest.img", "Glance image ipxe-rescue-uefi (raw, UEFI, q35, a USB CD-ROM rescue image)."),
		image("HOTSTACK_NAT64_IMAGE_URL", "https://github.com/openstack-k8s-operators/openstack-k8s-operators-ci/releases/download/latest/nat64-appliance-latest.qcow2", "Glance image nat64-appliance (qcow2, UEFI, q35)."),
		image("HOTSTACK_UBUNTU_NOBLE_URL", "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img", "Glance image ubuntu-noble-server (qcow2, UEFI, q35)."),
	}
}
