package stack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/config"
)

// Timings shared by most services in the original deployment.
const (
	s = time.Second
	// DefaultStopTimeout is a service's StopTimeout unless it sets its own
	// (the entrypoint's stop timeout is derived from it).
	DefaultStopTimeout = 10 * s
	defaultNetwork     = "hotstack-os"
	hostNetwork        = "host"
)

func health(interval, timeout time.Duration, retries int, start time.Duration, cmd ...string) Health {
	return Health{Cmd: cmd, Interval: interval, Timeout: timeout, Retries: retries, StartPeriod: start}
}

// RabbitPort is RabbitMQ's AMQP port.
const RabbitPort = 5672

// rpcConsumer is the health of a worker that takes RPC calls (a
// conductor, a scheduler, an engine): ready once it holds its connection
// to RabbitMQ, which oslo.messaging opens as it starts consuming. Only a
// running process was asked before, so a caller that came next
// (nova-compute) sent its first call to a queue nobody consumed yet and
// waited out the call's 10 s timeout. The gate looks from the host into
// the container's network namespace; the command asks ss inside it.
func rpcConsumer() Health {
	return health(10*s, 5*s, 5, 20*s, "sh", "-c", fmt.Sprintf("ss -Htn state established '( dport = :%d )' | grep -q .", RabbitPort)).
		connectedTo(RabbitPort)
}

// RuntimeDir is where `mage config` renders the templates: configs/ into
// RuntimeConfig, scripts/ into runtime/scripts/.
const RuntimeDir = "__HOTSTACK_DATA_DIR__/runtime/"

// RuntimeConfig is where `mage config` renders templates/configs.
const RuntimeConfig = RuntimeDir + "config/"

func cfg(path string) string { return RuntimeConfig + path }

// rabbitEnv is the message bus login every OpenStack service gets.
func rabbitEnv() []EnvVar {
	return []EnvVar{{"RABBITMQ_USER", "__RABBITMQ_DEFAULT_USER__"}, {"RABBITMQ_PASS", "__RABBITMQ_DEFAULT_PASS__"}}
}

// infraDeps are the infrastructure services an API service needs.
func infraDeps() []string { return []string{"mariadb", "rabbitmq", "keystone", "dnsmasq", "haproxy"} }

// backendHosts let host-network services reach the databases by name.
func backendHosts() []string {
	return []string{"hotstack-os-mariadb:__MARIADB_IP__", "hotstack-os-rabbitmq:__RABBITMQ_IP__", "hotstack-os-memcached:__MEMCACHED_IP__"}
}

func env(pairs ...EnvVar) []EnvVar { return pairs }

func join(blocks ...[]EnvVar) []EnvVar {
	var out []EnvVar
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out
}

// Services is the HotStack-OS stack in layer order, as the original
// deployment runs it (images, addresses, volumes, probes and timings).
func Services() []Service { return complete(records()) }

// complete adds to the records what follows from them all: each service's
// own image (ownImages) and MariaDB's database users (databaseUsers).
func complete(services []Service) []Service { return databaseUsers(ownImages(services)) }

// records are the services, one record each.
func records() []Service {
	return []Service{
		{Name: InfraName, Layer: 1, Oneshot: true, Description: "HotStack-OS Infrastructure Setup"},

		// Layer 2: infrastructure.
		{Name: "dnsmasq", Layer: 2, Description: "HotStack-OS DNSmasq Service", DependsOn: []string{InfraName},
			Build: &Image{Repository: "localhost/hotstack-os_dnsmasq", Parent: "base", Packages: []string{"dnsmasq-base"},
				Config: []string{`CMD ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--conf-file=/etc/dnsmasq.conf"]`},
				Users:  []ImageUser{{"dnsmasq", 42500, "/var/lib/misc"}}},
			Container: Container{Hostname: "dnsmasq", Network: hostNetwork,
				Volumes: []string{cfg("dnsmasq/dnsmasq.conf") + ":/etc/dnsmasq.conf:ro,z",
					// A directory, so dnsmasq sees the file infra setup
					// replaces (rename) when the host's resolvers change.
					"__HOTSTACK_DATA_DIR__/dns:/etc/dnsmasq-upstream:ro,z"}},
			Health: health(10*s, 5*s, 3, 0, "nc", "-z", "127.0.0.1", "53")},
		{Name: "haproxy", Layer: 2, Description: "HotStack-OS HAProxy Service", DependsOn: []string{InfraName},
			Build: &Image{Repository: "localhost/hotstack-os_haproxy", Parent: "base", Packages: []string{"haproxy"},
				Post:   []string{"mkdir -p /usr/local/etc/haproxy /run/haproxy"},
				Config: []string{"STOPSIGNAL SIGUSR1", `CMD ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]`},
				Users:  []ImageUser{{"haproxy", 42454, "/var/lib/haproxy"}}},
			Container: Container{Hostname: "haproxy", Network: defaultNetwork,
				Volumes: []string{cfg("haproxy/haproxy.cfg") + ":/usr/local/etc/haproxy/haproxy.cfg:ro,z"},
				Ports: []string{"__BREX_IP__:5000:5000", "__BREX_IP__:9292:9292", "__BREX_IP__:8778:8778", "__BREX_IP__:8774:8774",
					"__BREX_IP__:9696:9696", "__BREX_IP__:8776:8776", "__BREX_IP__:8004:8004", "__BREX_IP__:6080:6080"}},
			Health: health(10*s, 5*s, 3, 0, "nc", "-z", "127.0.0.1", "8404")},
		{Name: "mariadb", Layer: 2, Description: "HotStack-OS MariaDB Service", DependsOn: []string{InfraName},
			Build: &Image{Repository: "localhost/hotstack-os-mariadb", Parent: "base", Packages: []string{"mariadb-server", "mariadb-client"},
				// The postinst initialises a data directory in the image; the
				// host's is mounted over it.
				Post: []string{"rm -rf /var/lib/mysql/*", "chown mysql:mysql /var/lib/mysql"},
				Files: []File{{Path: "/usr/local/bin/healthcheck.sh", Mode: 0o755, Content: "#!/bin/sh\n" +
					"# The upstream image's health command: healthy once the entrypoint's set-up ran\n" +
					"# (databases and the openstack user) and the server answers.\n" +
					"test -f " + ReadyFile + " && exec mariadb-admin --protocol=socket ping >/dev/null\n"}},
				Users: []ImageUser{{"mysql", 42434, "/nonexistent"}}},
			Container: Container{Network: defaultNetwork, IPKey: "MARIADB_IP", Address: Address{IP: "172.31.0.3", Doc: "MariaDB."}, NetworkAlias: "mariadb",
				// After the root password, every database user's
				// (databaseUsers).
				Env: env(secret("MYSQL_ROOT_PASSWORD"), EnvVar{"LISTEN_IP", "__MARIADB_IP__"}),
				Volumes: []string{"__HOTSTACK_DATA_DIR__/mysql:/var/lib/mysql:z",
					"__HOTSTACK_DATA_DIR__/runtime/scripts/init-db.sh:/docker-entrypoint-initdb.d/init-db.sh:ro,z"},
				Args: []string{"--innodb-buffer-pool-size=32M", "--max-connections=250"}},
			Start:  own("mariadb"),
			Health: health(10*s, 5*s, 5, 0, "healthcheck.sh", "--connect", "--innodb_initialized").withBootstrap(60 * s).gatedBy(3306)},
		{Name: "rabbitmq", Layer: 2, Description: "HotStack-OS RabbitMQ Service", DependsOn: []string{InfraName},
			Build: &Image{Repository: "localhost/hotstack-os-rabbitmq", Parent: "base", Packages: []string{"rabbitmq-server"},
				Post:  []string{"rm -rf /var/lib/rabbitmq/mnesia /var/log/rabbitmq/*"},
				Users: []ImageUser{{"rabbitmq", 42439, "/var/lib/rabbitmq"}}},
			Container: Container{Hostname: "rabbitmq", Network: defaultNetwork, IPKey: "RABBITMQ_IP", Address: Address{IP: "172.31.0.4", Doc: "RabbitMQ."},
				Env: env(EnvVar{"RABBITMQ_DEFAULT_USER", "__RABBITMQ_DEFAULT_USER__"}, EnvVar{"RABBITMQ_DEFAULT_PASS", "__RABBITMQ_DEFAULT_PASS__"}),
				Volumes: []string{"__HOTSTACK_DATA_DIR__/rabbitmq:/var/lib/rabbitmq:z",
					cfg("rabbitmq/rabbitmq.conf") + ":/etc/rabbitmq/rabbitmq.conf:ro,z"}},
			Start: own("rabbitmq"),
			// The node listens once booted, its user imported (rabbitmq.conf):
			// no Erlang CLI (a CPU-second each) is needed to tell.
			Health: health(10*s, 5*s, 5, 0, "nc", "-z", "127.0.0.1", strconv.Itoa(RabbitPort)).withBootstrap(60 * s).gatedBy(RabbitPort).listening()},
		{Name: "memcached", Layer: 2, Description: "HotStack-OS Memcached Service", DependsOn: []string{InfraName},
			Build: &Image{Repository: "localhost/hotstack-os-memcached", Parent: "base", Packages: []string{"memcached"},
				// As the upstream image: the unit's arguments are the command.
				Config: []string{"USER memcache", `CMD ["memcached", "-m", "64"]`},
				Users:  []ImageUser{{"memcache", 42457, "/nonexistent"}}},
			Container: Container{Network: defaultNetwork, IPKey: "MEMCACHED_IP", Address: Address{IP: "172.31.0.5", Doc: "Memcached."},
				Args: []string{"memcached", "-m", "64"}},
			Health: health(10*s, 5*s, 3, 0, "nc", "-z", "localhost", "11211").gatedBy(11211).listening()},

		// Layer 3: identity.
		{Name: "keystone", Layer: 3, Description: "HotStack-OS Keystone Identity Service", DependsOn: []string{"mariadb", "memcached", "dnsmasq", "haproxy"},
			Build: &Image{Repository: "localhost/hotstack-os_keystone", Parent: OpenStackCommon, Packages: []string{"keystone"},
				Files: []File{{Path: "/usr/local/bin/keystone-healthcheck.sh", Mode: 0o755,
					Content: "#!/bin/sh\nexec curl -sf -o /dev/null http://localhost:5000/v3\n"}},
				Users: []ImageUser{{"keystone", 42425, "/var/lib/keystone"}}},
			Container: Container{Hostname: "keystone", Network: defaultNetwork, IPKey: "KEYSTONE_IP", Address: Address{IP: "172.31.0.11", Doc: "Keystone."},
				Env: env(EnvVar{"OSLO_LOCKUTILS_ENABLED", "false"}, dbPassword("keystone"),
					EnvVar{"KEYSTONE_ADMIN_PASSWORD", "__KEYSTONE_ADMIN_PASSWORD__"}, EnvVar{"REGION_NAME", "__REGION_NAME__"}),
				Volumes: []string{cfg("keystone/keystone.conf") + ":/etc/keystone/keystone.conf:ro,z",
					"__HOTSTACK_DATA_DIR__/keystone/fernet-keys:/etc/keystone/fernet-keys:z",
					"__HOTSTACK_DATA_DIR__/keystone/credential-keys:/etc/keystone/credential-keys:z"},
				Secrets: []string{"keystone/keystone.secrets.conf", "keystone/db.cnf"}},
			Accounts: &Accounts{Project: "keystone", Databases: []string{"keystone"}},
			Start:    own("keystone"),
			Health:   health(5*s, 5*s, 5, 15*s, "/usr/local/bin/keystone-healthcheck.sh").withBootstrap(120*s).gatedBy(5000).answersHTTP("/v3", false)},

		// Layer 4: core services.
		{Name: "glance", Layer: 4, Description: "HotStack-OS Glance Image Service", DependsOn: []string{"mariadb", "keystone", "dnsmasq", "haproxy"},
			Build: &Image{Repository: "localhost/hotstack-os_glance", Parent: OpenStackCommon, Packages: []string{"glance-api"},
				Users: []ImageUser{{"glance", 42415, "/var/lib/glance"}}},
			Container: Container{Hostname: "glance", Network: defaultNetwork, IPKey: "GLANCE_IP", Address: Address{IP: "172.31.0.12", Doc: "Glance."},
				Env: apiEnv("glance", false),
				Volumes: []string{cfg("glance/glance-api.conf") + ":/etc/glance/glance-api.conf:ro,z",
					"__HOTSTACK_DATA_DIR__/glance/images:/var/lib/glance/images:z"},
				Secrets: []string{"glance/glance-api.secrets.conf", "glance/db.cnf"}},
			Accounts: &Accounts{Project: "glance", Databases: []string{"glance"}, ServiceUser: true},
			Start:    api("glance", "glance", []string{"/etc/glance/glance-api.conf"}, "glance-api", "database", false, "glance-manage", "db_sync"),
			Health:   health(10*s, 5*s, 5, 5*s, "curl", "-f", "http://localhost:9292/").withBootstrap(90*s).gatedBy(9292).answersHTTP("/", false)},
		{Name: "placement", Layer: 4, Description: "HotStack-OS Placement Resource Tracking Service", DependsOn: []string{"mariadb", "keystone", "dnsmasq", "haproxy"},
			Build: &Image{Repository: "localhost/hotstack-os_placement", Parent: OpenStackCommon, Packages: []string{"placement-api"},
				Users: []ImageUser{{"placement", 42482, "/var/lib/placement"}}},
			Container: Container{Hostname: "placement", Network: defaultNetwork, IPKey: "PLACEMENT_IP", Address: Address{IP: "172.31.0.13", Doc: "Placement."},
				Env:     apiEnv("placement", false),
				Volumes: []string{cfg("placement/placement.conf") + ":/etc/placement/placement.conf:ro,z"},
				Secrets: []string{"placement/placement.secrets.conf", "placement/db.cnf"}},
			Accounts: &Accounts{Project: "placement", Databases: []string{"placement"}, ServiceUser: true},
			Start:    api("placement", "placement", []string{"/etc/placement/placement.conf"}, "placement-api", "placement_database", false, "placement-manage", "db", "sync"),
			Health:   health(10*s, 5*s, 5, 5*s, "curl", "-f", "http://localhost:8778/").withBootstrap(90*s).gatedBy(8778).answersHTTP("/", false)},

		// Layer 5: networking.
		{Name: "ovn-northd", Layer: 5, Description: "HotStack-OS OVN Northd Service", DependsOn: []string{"keystone"},
			Container: Container{Image: ovnImage.Repository, Hostname: "ovn-northd", Network: defaultNetwork, IPKey: "OVN_NORTHD_IP", Address: Address{IP: "172.31.0.31", Doc: "OVN northd and its databases."},
				// No privileges: two database servers and northd.
				Entrypoint: "/usr/local/bin/ovn-northd-entrypoint.sh", Env: env(EnvVar{"LISTEN_IP", "__OVN_NORTHD_IP__"}),
				Volumes: []string{"__HOTSTACK_DATA_DIR__/ovn:/var/lib/ovn:z", "__HOTSTACK_DATA_DIR__/ovn-run:/run/ovn:z"}},
			Start:  own("ovn-northd"),
			Health: health(10*s, 5*s, 5, 20*s, "sh", "-c", "test -f /run/ovn/ovn-northd.pid && kill -0 $(cat /run/ovn/ovn-northd.pid) && ss -tln | grep -q :6641 && ss -tln | grep -q :6642").gatedBy(6642)},
		{Name: "ovn-controller", Layer: 5, Description: "HotStack-OS OVN Controller Service", DependsOn: []string{"ovn-northd"},
			Container: Container{Image: ovnImage.Repository, Hostname: "ovn-controller", Network: hostNetwork, User: "root",
				Entrypoint: "/usr/local/bin/ovn-controller-entrypoint.sh", Privileged: true, SecurityOpts: []string{"label=disable"},
				Env:     env(EnvVar{"OVN_ENCAP_IP", "__BREX_IP__"}, EnvVar{"CHASSIS_HOSTNAME", "__CHASSIS_HOSTNAME__"}),
				Volumes: []string{"/run/openvswitch:/run/openvswitch", "__HOTSTACK_DATA_DIR__/ovn-run:/run/ovn:z"}},
			Start:  own("ovn-controller"),
			Health: health(10*s, 5*s, 5, 20*s, "sh", "-c", "test -f /run/ovn/ovn-controller.pid && kill -0 $(cat /run/ovn/ovn-controller.pid)")},
		{Name: "neutron-server", Layer: 5, Description: "HotStack-OS Neutron Server Service",
			DependsOn: []string{"mariadb", "rabbitmq", "keystone", "ovn-northd", "dnsmasq", "haproxy"},
			Container: Container{Image: neutronImage.Repository, Hostname: "neutron", Network: defaultNetwork, IPKey: "NEUTRON_SERVER_IP", Address: Address{IP: "172.31.0.32", Doc: "Neutron server."},
				Entrypoint: "/usr/local/bin/neutron-server-entrypoint.sh",
				Env:        apiEnv("neutron", true),
				Volumes: []string{cfg("neutron/neutron.conf") + ":/etc/neutron/neutron.conf:ro,z",
					cfg("neutron/plugins/ml2/ml2_conf.ini") + ":/etc/neutron/plugins/ml2/ml2_conf.ini:ro,z"},
				Secrets: []string{"neutron/neutron.secrets.conf", "neutron/db.cnf"}},
			Accounts: &Accounts{Project: "neutron", Databases: []string{"neutron"}, ServiceUser: true},
			Start:    api("neutron", "neutron", neutronConfigs, "neutron-server", "database", false, "neutron-db-manage", "upgrade", "heads"),
			Health:   health(10*s, 5*s, 5, 5*s, "curl", "-f", "http://localhost:9696/").withBootstrap(180*s).gatedBy(9696).answersHTTP("/", false)},
		{Name: "neutron-metadata", Layer: 5, Description: "HotStack-OS Neutron Metadata Agent Service", DependsOn: []string{"neutron-server", "ovn-controller"},
			Container: Container{Image: neutronImage.Repository, Hostname: "neutron-metadata", Network: hostNetwork, User: "root",
				Entrypoint: "/usr/local/bin/neutron-ovn-metadata-agent-entrypoint.sh", Privileged: true,
				// No database password: the agent needs no database.
				Env: env(servicePassword("neutron"),
					EnvVar{"METADATA_SECRET", "__METADATA_SECRET__"}, EnvVar{"NEUTRON_URL", "http://__NEUTRON_SERVER_IP__:9696/"},
					EnvVar{"OVN_SB_IP", "__OVN_NORTHD_IP__"}),
				Volumes: []string{cfg("neutron/neutron.conf") + ":/etc/neutron/neutron.conf:ro,z",
					cfg("neutron/neutron_ovn_metadata_agent.ini") + ":/etc/neutron/neutron_ovn_metadata_agent.ini:ro,z",
					"/run/openvswitch:/run/openvswitch"},
				Secrets: []string{"neutron/neutron.secrets.conf", "neutron/neutron_ovn_metadata_agent.secrets.conf"}},
			Start:  own("neutron-metadata"),
			Health: health(10*s, 5*s, 5, 20*s, "test", "-f", "/proc/1/exe")},

		// Layer 6: compute.
		{Name: "nova-api", Layer: 6, Description: "HotStack-OS Nova API Service",
			DependsOn: []string{"mariadb", "rabbitmq", "keystone", "placement", "dnsmasq", "haproxy"},
			Container: Container{Image: novaImage.Repository, Hostname: "nova", Network: defaultNetwork, IPKey: "NOVA_API_IP", Address: Address{IP: "172.31.0.21", Doc: "Nova API."},
				Entrypoint: "/usr/local/bin/nova-api-entrypoint.sh",
				Env:        append(apiEnv("nova", true), EnvVar{"METADATA_SECRET", "__METADATA_SECRET__"}),
				Volumes:    []string{novaConf}, Secrets: []string{novaSecrets, novaDB}},
			Accounts: &Accounts{Project: "nova", Databases: []string{"nova", "nova_api", "nova_cell0"}, ServiceUser: true},
			Start:    api("nova", "nova", novaConfigs, "nova-api", "database", true),
			Health:   health(10*s, 5*s, 5, 5*s, "curl", "-f", "http://localhost:8774/").withBootstrap(180*s).gatedBy(8774).answersHTTP("/", false)},
		novaWorker("nova-conductor", "NOVA_CONDUCTOR_IP", Address{IP: "172.31.0.22", Doc: "Nova conductor."}, "HotStack-OS Nova Conductor Service"),
		novaWorker("nova-scheduler", "NOVA_SCHEDULER_IP", Address{IP: "172.31.0.23", Doc: "Nova scheduler."}, "HotStack-OS Nova Scheduler Service"),
		{Name: "nova-compute", Layer: 6, Description: "HotStack-OS Nova Compute Service", DependsOn: []string{"nova-api", "nova-conductor", "neutron-server"},
			Container: Container{Image: novaImage.Repository, Hostname: "nova-compute", Network: hostNetwork, User: "root",
				Address:    Address{IP: "172.31.0.24", Doc: "Nova compute (reserved: the container uses the host network).", ReservedKey: "NOVA_COMPUTE_IP"},
				Entrypoint: "/usr/local/bin/nova-compute-entrypoint.sh", Privileged: true, SecurityOpts: []string{"label=type:spc_t"},
				// No database password: compute nodes reach the database only
				// through the conductor.
				Env: join(env(servicePassword("nova")), rabbitEnv(), env(EnvVar{"REGION_NAME", "__REGION_NAME__"}, EnvVar{"NOVA_CPU_MODE", "__NOVA_CPU_MODE__"})),
				Volumes: []string{novaConf, "/var/run/libvirt:/var/run/libvirt", "/etc/iscsi:/etc/iscsi:z", "/var/lib/iscsi:/var/lib/iscsi:z",
					"/run/openvswitch:/run/openvswitch", "__HOTSTACK_DATA_DIR__/nova:/var/lib/nova:z",
					"__NOVA_INSTANCES_PATH__:__NOVA_INSTANCES_PATH__:shared",
					"__NOVA_NFS_MOUNT_POINT_BASE__:__NOVA_NFS_MOUNT_POINT_BASE__:shared",
					"/sys/fs/cgroup:/sys/fs/cgroup:ro"},
				Secrets: []string{novaSecrets},
				// libvirt gives a guest's serial console a pty of the host;
				// nova-compute checks that it exists before reading the
				// console log.
				ExtraVolumes: []string{nfsExport, "/dev/pts:/dev/pts"},
				AddHosts:     backendHosts()},
			Start:  own("nova-compute"),
			Health: health(10*s, 5*s, 5, 30*s, "/usr/local/bin/nova-compute-healthcheck.sh")},
		{Name: "nova-novncproxy", Layer: 6, Description: "HotStack-OS Nova NoVNC Proxy Service", DependsOn: []string{"nova-api"},
			Container: Container{Image: novaImage.Repository, Hostname: "nova-novncproxy", Network: defaultNetwork, IPKey: "NOVA_NOVNCPROXY_IP", Address: Address{IP: "172.31.0.26", Doc: "Nova noVNC proxy."},
				Entrypoint: "/usr/local/bin/nova-novncproxy-entrypoint.sh", Env: novaWorkerEnv(false), Volumes: []string{novaConf}, Secrets: []string{novaSecrets, novaDB}},
			Start:  daemon("nova", novaConfigs, "", false, "nova-novncproxy", "--web", "/usr/share/novnc"),
			Health: health(10*s, 5*s, 5, 20*s, "sh", "-c", "test -f /proc/1/exe && ss -tln | grep -q :6080").gatedBy(6080).listening()},

		// Layer 7: block storage.
		{Name: "cinder-api", Layer: 7, Description: "HotStack-OS Cinder API Service", DependsOn: infraDeps(),
			Container: Container{Image: cinderImage.Repository, Hostname: "cinder", Network: defaultNetwork, IPKey: "CINDER_API_IP", Address: Address{IP: "172.31.0.41", Doc: "Cinder API."},
				Entrypoint: "/usr/local/bin/cinder-api-entrypoint.sh", Env: apiEnv("cinder", true), Volumes: []string{cinderConf},
				Secrets: []string{cinderSecrets, cinderDB}},
			Accounts: &Accounts{Project: "cinder", Databases: []string{"cinder"}, ServiceUser: true},
			Start:    api("cinder", "cinderv3", cinderConfigs, "cinder-api", "database", true, "cinder-manage", "db", "sync"),
			Health:   health(10*s, 5*s, 5, 5*s, "sh", "-c", "curl -s http://localhost:8776/ >/dev/null 2>&1").withBootstrap(120*s).gatedBy(8776).answersHTTP("/", true)},
		{Name: "cinder-scheduler", Layer: 7, Description: "HotStack-OS Cinder Scheduler Service", DependsOn: []string{"cinder-api"},
			Container: Container{Image: cinderImage.Repository, Hostname: "cinder-scheduler", Network: defaultNetwork, IPKey: "CINDER_SCHEDULER_IP", Address: Address{IP: "172.31.0.42", Doc: "Cinder scheduler."},
				Entrypoint: "/usr/local/bin/cinder-scheduler-entrypoint.sh", Env: workerEnv("cinder"), Volumes: []string{cinderConf},
				Secrets: []string{cinderSecrets, cinderDB}},
			Start:  daemon("cinder", cinderConfigs, "database", true, "cinder-scheduler"),
			Health: rpcConsumer()},
		{Name: "cinder-volume", Layer: 7, Description: "HotStack-OS Cinder Volume Service", DependsOn: []string{"cinder-api", "cinder-scheduler"},
			Container: Container{Image: cinderImage.Repository, Hostname: "cinder-volume", Network: hostNetwork, User: "root",
				Address:    Address{IP: "172.31.0.43", Doc: "Cinder volume (reserved: the container uses the host network).", ReservedKey: "CINDER_VOLUME_IP"},
				Entrypoint: "/usr/local/bin/cinder-volume-entrypoint.sh", Privileged: true, Env: workerEnv("cinder"),
				Volumes: []string{cinderConf, cfg("cinder/nfs_shares") + ":/etc/cinder/nfs_shares:ro,z", "__HOTSTACK_DATA_DIR__/cinder:/var/lib/cinder:z"},
				Secrets: []string{cinderSecrets, cinderDB}, ExtraVolumes: []string{nfsExport},
				AddHosts: backendHosts()},
			// The original asked `cinder-volume --version`, a Python start
			// that outlasts the probe timeout on a busy host. Like the other
			// daemons: the entrypoint (PID 1) lives exactly as long as the
			// daemon it supervises.
			Start:  own("cinder-volume"),
			Health: health(10*s, 5*s, 5, 20*s, "test", "-f", "/proc/1/exe")},

		// Layer 8: orchestration.
		{Name: "heat-api", Layer: 8, Description: "HotStack-OS Heat API Service", DependsOn: infraDeps(),
			Container: Container{Image: heatImage.Repository, Hostname: "heat", Network: defaultNetwork, IPKey: "HEAT_API_IP", Address: Address{IP: "172.31.0.51", Doc: "Heat API."},
				Entrypoint: "/usr/local/bin/heat-api-entrypoint.sh", Env: apiEnv("heat", true), Volumes: []string{heatConf},
				Secrets: []string{heatSecrets, heatDB}},
			Accounts: &Accounts{Project: "heat", Databases: []string{"heat"}, ServiceUser: true,
				AlsoFor: "heat_domain_admin, the admin of Heat's stack domain"},
			Start:  api("heat", "heat", heatConfigs, "heat-api", "database", true, "heat-manage", "db_sync"),
			Health: health(10*s, 5*s, 5, 5*s, "curl", "-f", "http://localhost:8004/").withBootstrap(120*s).gatedBy(8004).answersHTTP("/", false)},
		{Name: "heat-engine", Layer: 8, Description: "HotStack-OS Heat Engine Service", DependsOn: []string{"heat-api"},
			Container: Container{Image: heatImage.Repository, Hostname: "heat-engine", Network: defaultNetwork, IPKey: "HEAT_ENGINE_IP", Address: Address{IP: "172.31.0.53", Doc: "Heat engine."},
				Entrypoint: "/usr/local/bin/heat-engine-entrypoint.sh", Env: workerEnv("heat"), Volumes: []string{heatConf},
				Secrets: []string{heatSecrets, heatDB}},
			Start:  daemon("heat", heatConfigs, "database", true, "heat-engine"),
			Health: rpcConsumer()},
	}
}

// The config file volumes shared by several services.
const (
	novaConf   = RuntimeConfig + "nova/nova.conf:/etc/nova/nova.conf:ro,z"
	cinderConf = RuntimeConfig + "cinder/cinder.conf:/etc/cinder/cinder.conf:ro,z"
	heatConf   = RuntimeConfig + "heat/heat.conf:/etc/heat/heat.conf:ro,z"
)

// Secrets templates shared by several services.
const (
	novaSecrets   = "nova/nova.secrets.conf"
	cinderSecrets = "cinder/cinder.secrets.conf"
	heatSecrets   = "heat/heat.secrets.conf"
	// The database passwords, read by PyMySQL (templates/configs/*/db.cnf).
	novaDB   = "nova/db.cnf"
	cinderDB = "cinder/db.cnf"
	heatDB   = "heat/db.cnf"
)

// nfsExport makes the Cinder export visible at its own path in the
// containers that mount volumes: their mount.nfs bind-mounts it, so a
// single host needs no NFS client (see internal/entrypoint/mountnfs.go).
const nfsExport = "__CINDER_NFS_EXPORT_DIR__:__CINDER_NFS_EXPORT_DIR__:shared"

// secret passes the .env secret key to the container under its own name.
func secret(key string) EnvVar { return EnvVar{key, "__" + key + "__"} }

// DatabaseUsersVar is MariaDB's variable that lists each project's MariaDB
// user and its databases, as "user:db+db,user:db" (init-db.sh reads it):
// the records are its one source.
const DatabaseUsersVar = "DATABASE_USERS"

// dbPassword is the container variable of the database password of
// project's MariaDB user (its Accounts).
func dbPassword(project string) EnvVar { return secret(config.DatabasePasswordKey(project)) }

// servicePassword is project's own Keystone password (every service
// authenticates to the others as its own user). The container variable
// is named by the project as well: every unit reads its secrets from one
// environment file.
func servicePassword(project string) EnvVar { return secret(config.ServicePasswordKey(project)) }

// databaseUsers gives MariaDB, after its root password, every project's
// database password, for init-db.sh to keep each user's password current,
// and the users and their databases it creates (DatabaseUsersVar).
func databaseUsers(services []Service) []Service {
	var passwords []EnvVar
	var users []string
	for _, a := range accountsOf(pointers(services)) {
		if len(a.Databases) > 0 {
			passwords = append(passwords, dbPassword(a.Project))
			users = append(users, a.Project+":"+strings.Join(a.Databases, "+"))
		}
	}
	passwords = append(passwords, EnvVar{DatabaseUsersVar, strings.Join(users, ",")})
	for i := range services {
		if services[i].Name != "mariadb" {
			continue
		}
		c := &services[i].Container
		root := slices.IndexFunc(c.Env, func(e EnvVar) bool { return e.Name == "MYSQL_ROOT_PASSWORD" })
		c.Env = slices.Insert(slices.Clone(c.Env), root+1, passwords...)
	}
	return services
}

// apiEnv is the environment of an API service of project: its database
// and service passwords, the key of its token cache and (with rabbit) the message bus
// login. Not the admin password: `mage up` registers the service in
// Keystone from the host.
func apiEnv(project string, rabbit bool) []EnvVar {
	e := env(dbPassword(project), servicePassword(project), EnvVar{"MEMCACHE_SECRET_KEY", "__MEMCACHE_SECRET_KEY__"})
	if rabbit {
		e = append(e, rabbitEnv()...)
	}
	return append(e, EnvVar{"REGION_NAME", "__REGION_NAME__"})
}

// workerEnv is the environment of a non-API worker of project.
func workerEnv(project string) []EnvVar {
	return join(env(dbPassword(project), servicePassword(project)), rabbitEnv(), env(EnvVar{"REGION_NAME", "__REGION_NAME__"}))
}

func novaWorkerEnv(metadata bool) []EnvVar {
	e := workerEnv("nova")
	if metadata {
		e = append(e, EnvVar{"METADATA_SECRET", "__METADATA_SECRET__"})
	}
	return e
}

func novaWorker(name, ipKey string, addr Address, desc string) Service {
	return Service{Name: name, Layer: 6, Description: desc, DependsOn: []string{"nova-api"},
		Container: Container{Image: novaImage.Repository, Hostname: name, Network: defaultNetwork, IPKey: ipKey, Address: addr,
			Entrypoint: "/usr/local/bin/" + name + "-entrypoint.sh", Env: novaWorkerEnv(true), Volumes: []string{novaConf},
			Secrets: []string{novaSecrets, novaDB}},
		Start:  daemon("nova", novaConfigs, "database", true, name),
		Health: rpcConsumer()}
}

// The public configuration files of the projects whose daemons share them,
// in the order they read them.
var (
	novaConfigs    = []string{"/etc/nova/nova.conf"}
	neutronConfigs = []string{"/etc/neutron/neutron.conf", "/etc/neutron/plugins/ml2/ml2_conf.ini"}
	cinderConfigs  = []string{"/etc/cinder/cinder.conf"}
	heatConfigs    = []string{"/etc/heat/heat.conf"}
)

// own is a service's start-up code of its own, named after it.
func own(service string) *Start { return &Start{Recipe: service} }

// daemon is an OpenStack daemon of project: it reads configs and, unless
// database is "", waits for that section's database (rpc: and the message
// bus) before running command.
func daemon(project string, configs []string, database string, rpc bool, command ...string) *Start {
	return &Start{Recipe: StartDaemon, Project: project, Configs: configs, Command: command, Database: database, RPC: rpc}
}

// api is an OpenStack API daemon: a daemon that first creates or upgrades
// its database with the manage command schema (its catalog name names the
// schema's stamp).
func api(project, catalog string, configs []string, command, database string, rpc bool, schema ...string) *Start {
	st := daemon(project, configs, database, rpc, command)
	st.Recipe, st.Catalog, st.Schema = StartAPI, catalog, schema
	return st
}
