package entrypoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/hotstack-os/hotstack-os/internal/openstack"
)

// PublicDomain is where the public API names live (haproxy on BREX_IP).
const PublicDomain = "hotstack-os.local"

// api describes an API service's Keystone entry.
type api struct {
	name, typ, description string
	port                   int
	path                   string // appended to the endpoint URL, e.g. /v2.1
	public                 string // public host name (before PublicDomain)
}

func (a api) registration(c *Container) (openstack.Registration, error) {
	ip, err := OwnIPv4()
	if err != nil {
		return openstack.Registration{}, err
	}
	internal := fmt.Sprintf("http://%s:%d%s", ip, a.port, a.path)
	public := fmt.Sprintf("http://%s.%s:%d%s", a.public, PublicDomain, a.port, a.path)
	return openstack.Registration{Service: a.name, Type: a.typ, Description: a.description,
		Endpoints: map[gophercloud.Availability]string{
			gophercloud.AvailabilityPublic: public, gophercloud.AvailabilityInternal: internal, gophercloud.AvailabilityAdmin: internal},
		User: c.Conf("keystone_authtoken", "username"), Password: c.Env("SERVICE_PASSWORD")}, nil
}

// oslo is the command line every OpenStack daemon and manage command gets.
func oslo(project string, files ...string) []string {
	var out []string
	for _, f := range files {
		out = append(out, "--config-file", f)
	}
	return append(out, "--config-dir", filepath.Join("/etc", project, project+".conf.d"))
}

// Recipes maps every service to how its container starts.
func Recipes() map[string]Recipe {
	nova := []string{"/etc/nova/nova.conf"}
	novaArgs := oslo("nova", nova...)
	neutron := []string{"/etc/neutron/neutron.conf", "/etc/neutron/plugins/ml2/ml2_conf.ini"}
	cinder := []string{"/etc/cinder/cinder.conf"}
	heat := []string{"/etc/heat/heat.conf"}
	return map[string]Recipe{
		"mariadb":   mariadb,
		"rabbitmq":  rabbitmq,
		"keystone":  keystone,
		"glance":    glance,
		"placement": placement,
		"nova-api": openstackAPI("nova", nova, "nova",
			api{"nova", "compute", "OpenStack Compute", 8774, "/v2.1", "nova"},
			func(ctx context.Context, c *Container) error { return novaCells(ctx, c, novaArgs) },
			Proc{Argv: append([]string{"nova-api"}, novaArgs...), User: "nova"}),
		"nova-conductor":  openstackWorker("nova", nova, "nova", true, Proc{Argv: append([]string{"nova-conductor"}, novaArgs...), User: "nova"}),
		"nova-scheduler":  openstackWorker("nova", nova, "nova", true, Proc{Argv: append([]string{"nova-scheduler"}, novaArgs...), User: "nova"}),
		"nova-novncproxy": openstackWorker("nova", nova, "", false, Proc{Argv: append([]string{"nova-novncproxy", "--web", "/usr/share/novnc"}, novaArgs...), User: "nova"}),
		"nova-compute":    novaCompute,
		"ovn-northd":      ovnNorthd,
		"ovn-controller":  ovnController,
		"neutron-server": openstackAPI("neutron", neutron, "neutron",
			api{"neutron", "network", "OpenStack Networking", 9696, "", "neutron"},
			func(ctx context.Context, c *Container) error {
				if err := c.Run(ctx, Proc{Argv: append(append([]string{"neutron-db-manage"}, oslo("neutron", neutron...)...), "upgrade", "heads"), User: "neutron"}); err != nil {
					return err
				}
				addr, err := URLHost(strings.Replace(c.Conf("ovn", "ovn_nb_connection"), "tcp:", "tcp://", 1), "6641")
				if err != nil {
					return err
				}
				return c.WaitTCP(ctx, "OVN northbound database", addr)
			},
			Proc{Argv: append([]string{"neutron-server"}, oslo("neutron", neutron...)...), User: "neutron"}),
		"neutron-metadata": neutronMetadata,
		"cinder-api": openstackAPI("cinder", cinder, "cinder",
			api{"cinderv3", "volumev3", "OpenStack Block Storage", 8776, "/v3/%(project_id)s", "cinder"},
			manage("cinder", "cinder-manage", "db", "sync"),
			Proc{Argv: append([]string{"cinder-api"}, oslo("cinder", cinder...)...), User: "cinder"}),
		"cinder-scheduler": openstackWorker("cinder", cinder, "cinder", true, Proc{Argv: append([]string{"cinder-scheduler"}, oslo("cinder", cinder...)...), User: "cinder"}),
		"cinder-volume":    cinderVolume,
		"heat-api": openstackAPIWith("heat", heat, "heat",
			api{"heat", "orchestration", "OpenStack Orchestration", 8004, "/v1/%(tenant_id)s", "heat"},
			manage("heat", "heat-manage", "db_sync"), heatDomain,
			Proc{Argv: append([]string{"heat-api"}, oslo("heat", heat...)...), User: "heat"}),
		"heat-engine": openstackWorker("heat", heat, "heat", true, Proc{Argv: append([]string{"heat-engine"}, oslo("heat", heat...)...), User: "heat"}),
	}
}

// manage returns a bootstrap step running a project's manage command as the
// project's user with the project's configuration.
func manage(project, command string, args ...string) func(context.Context, *Container) error {
	return func(ctx context.Context, c *Container) error {
		argv := append([]string{command}, oslo(project, "/etc/"+project+"/"+project+".conf")...)
		return c.Run(ctx, Proc{Argv: append(argv, args...), User: project})
	}
}

// openstackAPI is the common shape of an API service: secrets, database,
// schema, Keystone registration, then the server.
func openstackAPI(project string, configs []string, dbSection string, a api, prepare func(context.Context, *Container) error, server Proc) Recipe {
	return openstackAPIWith(project, configs, dbSection, a, prepare, nil, server)
}

func openstackAPIWith(project string, configs []string, dbSection string, a api, prepare func(context.Context, *Container) error,
	extra func(context.Context, *openstack.Identity) error, server Proc) Recipe {
	return func(ctx context.Context, c *Container) error {
		if err := c.Secrets(project, configs...); err != nil {
			return err
		}
		section := "database"
		if dbSection == "placement" {
			section = "placement_database"
		}
		if err := c.WaitDatabase(ctx, section); err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(ctx, c); err != nil {
				return err
			}
		}
		reg, err := a.registration(c)
		if err != nil {
			return err
		}
		if err := c.Register(ctx, reg, extra); err != nil {
			return err
		}
		return c.Serve(ctx, nil, server)
	}
}

// openstackWorker runs a daemon without an API: secrets, then wait for the
// database and (rpc) the message bus, then the daemon.
func openstackWorker(project string, configs []string, dbSection string, rpc bool, daemon Proc) Recipe {
	return func(ctx context.Context, c *Container) error {
		if err := c.Secrets(project, configs...); err != nil {
			return err
		}
		if dbSection != "" {
			if err := c.WaitDatabase(ctx, "database"); err != nil {
				return err
			}
		}
		if rpc {
			if err := c.WaitRabbit(ctx); err != nil {
				return err
			}
		}
		return c.Serve(ctx, nil, daemon)
	}
}

func keystone(ctx context.Context, c *Container) error {
	if err := c.Secrets("keystone", "/etc/keystone/keystone.conf"); err != nil {
		return err
	}
	if err := c.WaitDatabase(ctx, "database"); err != nil {
		return err
	}
	for _, d := range []string{"/etc/keystone/fernet-keys", "/etc/keystone/credential-keys"} {
		if err := Own(d, "keystone", 0o700); err != nil {
			return err
		}
	}
	keystoneArgs := oslo("keystone", "/etc/keystone/keystone.conf")
	steps := [][]string{
		{"db_sync"},
		{"fernet_setup", "--keystone-user", "keystone", "--keystone-group", "keystone"},
		{"credential_setup", "--keystone-user", "keystone", "--keystone-group", "keystone"},
	}
	for _, s := range steps {
		if err := c.Run(ctx, Proc{Argv: append(append([]string{"keystone-manage"}, keystoneArgs...), s...), User: "keystone"}); err != nil {
			return err
		}
	}
	ip, err := OwnIPv4()
	if err != nil {
		return err
	}
	internal := "http://" + ip + ":5000/v3"
	admin, ok := c.env("KEYSTONE_ADMIN_PASSWORD")
	if !ok {
		return errors.New("KEYSTONE_ADMIN_PASSWORD is not in the container environment")
	}
	// The password goes through the environment (OS_BOOTSTRAP_PASSWORD),
	// never the command line. bootstrap creates the admin project, user,
	// roles, region and identity endpoints, and resets the admin password
	// when it no longer matches.
	if err := c.Run(ctx, Proc{Argv: append(append([]string{"keystone-manage"}, keystoneArgs...), "bootstrap",
		"--bootstrap-username", openstack.AdminUser, "--bootstrap-project-name", openstack.AdminProject,
		"--bootstrap-role-name", openstack.AdminRole, "--bootstrap-service-name", "keystone",
		"--bootstrap-region-id", c.Env("REGION_NAME"),
		"--bootstrap-admin-url", internal, "--bootstrap-internal-url", internal,
		"--bootstrap-public-url", "http://keystone."+PublicDomain+":5000/v3"),
		User: "keystone", Env: []string{"OS_BOOTSTRAP_PASSWORD=" + admin}}); err != nil {
		return err
	}
	return c.Serve(ctx, nil, uwsgi("keystone", "/usr/bin/keystone-wsgi-public", 5000))
}

// uwsgi serves a WSGI script: Debian's uwsgi .ini files load an apparmor
// plugin the images do not have, so the options are given directly.
func uwsgi(user, script string, port int) Proc {
	return Proc{Argv: []string{"uwsgi", "--plugin", "python3", "--http-socket", fmt.Sprintf("0.0.0.0:%d", port),
		"--wsgi-file", script, "--uid", user, "--gid", user, "--master", "--processes", "1", "--threads", "4",
		"--die-on-term", "--need-app", "--lazy-apps", "--disable-logging", "--buffer-size", "65535",
		// --http-socket closes every connection after the response but does
		// not say so; without the header clients reuse a closed connection.
		"--add-header", "Connection: close"}}
}

func glance(ctx context.Context, c *Container) error {
	files := []string{"/etc/glance/glance-api.conf"}
	return openstackAPI("glance", files, "glance",
		api{"glance", "image", "OpenStack Image", 9292, "", "glance"},
		func(ctx context.Context, c *Container) error {
			for _, d := range []string{"/var/lib/glance/images", "/var/lib/glance/tmp"} {
				if err := Own(d, "glance", 0o750); err != nil {
					return err
				}
			}
			return c.Run(ctx, Proc{Argv: append(append([]string{"glance-manage"}, oslo("glance", files...)...), "db_sync"), User: "glance"})
		},
		Proc{Argv: append([]string{"glance-api"}, oslo("glance", files...)...), User: "glance"})(ctx, c)
}

func placement(ctx context.Context, c *Container) error {
	return openstackAPI("placement", []string{"/etc/placement/placement.conf"}, "placement",
		api{"placement", "placement", "OpenStack Placement", 8778, "", "placement"},
		func(ctx context.Context, c *Container) error {
			return c.Run(ctx, Proc{Argv: append(append([]string{"placement-manage"}, oslo("placement", "/etc/placement/placement.conf")...), "db", "sync"), User: "placement"})
		},
		uwsgi("placement", "/usr/bin/placement-api", 8778))(ctx, c)
}

// novaCells creates the API database schema, cell0 and cell1, and the
// cells' schema. Each command is idempotent; create_cell exits 2 when the
// cell exists already.
func novaCells(ctx context.Context, c *Container, args []string) error {
	run := func(ok func(error) bool, a ...string) error {
		err := c.Run(ctx, Proc{Argv: append(append([]string{"nova-manage"}, args...), a...), User: "nova"})
		if err != nil && ok != nil && ok(err) {
			return nil
		}
		return err
	}
	exit2 := func(err error) bool { return strings.HasSuffix(err.Error(), "exited with code 2") }
	if err := run(nil, "api_db", "sync"); err != nil {
		return err
	}
	if err := run(nil, "cell_v2", "map_cell0"); err != nil {
		return err
	}
	if err := run(exit2, "cell_v2", "create_cell", "--name", "cell1"); err != nil {
		return err
	}
	return run(nil, "db", "sync")
}

func novaCompute(ctx context.Context, c *Container) error {
	if err := c.SecretsWithout("nova", []string{"database", "api_database"}, "/etc/nova/nova.conf"); err != nil {
		return err
	}
	// The hypervisor is what libvirt on this host can run: KVM when its
	// domain capabilities offer it, plain emulation (TCG) otherwise.
	virt := "qemu"
	if err := c.sup.Run(ctx, Proc{Argv: []string{"virsh", "--quiet", "-c", c.Conf("libvirt", "connection_uri"), "domcapabilities", "--virttype", "kvm"}}); err == nil {
		virt = "kvm"
	} else {
		c.Logf("libvirt offers no KVM here (%v); using QEMU emulation", err)
	}
	c.Logf("virtualization type: %s", virt)
	if err := c.Fragment("nova", "50-virt-type.conf", "# Detected by hotstack-os entrypoint at container start.\n[libvirt]\nvirt_type = "+virt+"\n"); err != nil {
		return err
	}
	for _, d := range []string{"/var/lib/nova", "/var/lib/nova/tmp"} {
		if err := Own(d, "nova", 0o755); err != nil {
			return err
		}
	}
	if err := c.WaitRabbit(ctx); err != nil {
		return err
	}
	return c.Serve(ctx, nil, Proc{Argv: append([]string{"nova-compute"}, oslo("nova", "/etc/nova/nova.conf")...)})
}

func neutronMetadata(ctx context.Context, c *Container) error {
	files := []string{"/etc/neutron/neutron.conf", "/etc/neutron/neutron_ovn_metadata_agent.ini"}
	if err := c.Secrets("neutron", files...); err != nil {
		return err
	}
	addr, err := URLHost(strings.Replace(c.Conf("ovn", "ovn_sb_connection"), "tcp:", "tcp://", 1), "6642")
	if err != nil {
		return err
	}
	if err := c.WaitTCP(ctx, "OVN southbound database", addr); err != nil {
		return err
	}
	if err := os.MkdirAll("/var/lib/neutron/tmp", 0o755); err != nil {
		return err
	}
	return c.Serve(ctx, nil, Proc{Argv: append([]string{"neutron-ovn-metadata-agent"}, oslo("neutron", files...)...)})
}

func cinderVolume(ctx context.Context, c *Container) error {
	files := []string{"/etc/cinder/cinder.conf"}
	if err := c.Secrets("cinder", files...); err != nil {
		return err
	}
	if err := c.WaitDatabase(ctx, "database"); err != nil {
		return err
	}
	if err := c.WaitRabbit(ctx); err != nil {
		return err
	}
	for _, d := range []string{"/var/lib/cinder", "/var/lib/cinder/mnt", "/var/lib/cinder/tmp"} {
		if err := Own(d, "cinder", 0o755); err != nil {
			return err
		}
	}
	return c.Serve(ctx, nil, Proc{Argv: append([]string{"cinder-volume"}, oslo("cinder", files...)...)})
}

// heatDomain creates what Heat needs besides its service user: the domain
// of stack users, its admin, and the two stack roles.
func heatDomain(ctx context.Context, id *openstack.Identity) error {
	domain, err := id.EnsureDomain(ctx, "heat", "Owns users and projects created by Heat")
	if err != nil {
		return err
	}
	for _, r := range []string{"heat_stack_owner", "heat_stack_user"} {
		if _, err := id.EnsureRole(ctx, r); err != nil {
			return err
		}
	}
	admin, err := id.EnsureRole(ctx, openstack.AdminRole)
	if err != nil {
		return err
	}
	password, _ := os.LookupEnv("SERVICE_PASSWORD")
	user, err := id.EnsureUser(ctx, "heat_domain_admin", password, domain)
	if err != nil {
		return err
	}
	return id.EnsureDomainRole(ctx, admin, user, domain)
}
