package entrypoint

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
	"github.com/hotstack-os/hotstack-os/stack"
)

// oslo is the command line every OpenStack daemon and manage command gets.
func oslo(project string, files ...string) []string {
	var out []string
	for _, f := range files {
		out = append(out, "--config-file", f)
	}
	return append(out, "--config-dir", filepath.Join("/etc", project, project+".conf.d"))
}

// Recipes maps every service whose record has a Start (stack.Service) to
// how its container starts.
func Recipes() map[string]Recipe {
	out := map[string]Recipe{}
	st, err := stack.Default()
	if err != nil {
		return out // the built-in stack is valid (stack's tests)
	}
	for _, svc := range st.Containers() {
		if s, ok := starterOf(svc); ok {
			out[svc.Name] = s.run
		}
	}
	return out
}

// starter is a start-up recipe with its data.
type starter interface {
	run(ctx context.Context, c *Container) error
}

func (r Recipe) run(ctx context.Context, c *Container) error { return r(ctx, c) }

// ownRecipes are the start-up code of the services whose start is unlike
// any other's (stack.Start.Recipe names them).
var ownRecipes = map[string]Recipe{
	"mariadb":          mariadb,
	"rabbitmq":         rabbitmq,
	"keystone":         keystone,
	"nova-compute":     novaCompute,
	"ovn-northd":       ovnNorthd,
	"ovn-controller":   ovnController,
	"neutron-metadata": neutronMetadata,
	"cinder-volume":    cinderVolume,
}

// apiSteps are the steps of an API service's start that are code, not
// data, by service.
var apiSteps = map[string]apiService{
	"glance":         {before: glanceDirs},
	"placement":      {server: ptr(uwsgi("placement", "/usr/bin/placement-api", 8778))},
	"nova-api":       {schema: novaCells, inputs: novaInputs},
	"neutron-server": {after: waitOVNNorthbound},
}

// starterOf is svc's start-up recipe, driven by its record; false when it
// has none, or names a recipe this package does not have.
func starterOf(svc *stack.Service) (starter, bool) {
	s := svc.Start
	if s == nil {
		return nil, false
	}
	daemon := func() daemon {
		return daemonOf(s.Project, s.Configs...).as(s.Command[0], s.Database, s.RPC).with(s.Command[1:]...)
	}
	switch s.Recipe {
	case stack.StartDaemon:
		return daemon(), true
	case stack.StartAPI:
		api := apiSteps[svc.Name]
		api.daemon, api.name, api.schemaCmd = daemon(), s.Catalog, s.Schema
		return api, true
	}
	r, ok := ownRecipes[s.Recipe]
	return r, ok
}

// daemon is an OpenStack daemon: its project, configuration and command.
type daemon struct {
	project string
	configs []string // the public configuration files, in order
	command []string
	user    string
	// database is the section holding its connection ("" for none to wait
	// for); rpc waits for the message bus too.
	database string
	rpc      bool
}

func daemonOf(project string, configs ...string) daemon {
	return daemon{project: project, configs: configs, user: project}
}

// as returns the daemon running command.
func (d daemon) as(command, database string, rpc bool) daemon {
	d.command, d.database, d.rpc = []string{command}, database, rpc
	return d
}

// with adds arguments to the command.
func (d daemon) with(args ...string) daemon {
	d.command = append(slices.Clone(d.command), args...)
	return d
}

// proc is the daemon's process: its command with the configuration.
func (d daemon) proc() Proc {
	return Proc{Argv: append(slices.Clone(d.command), oslo(d.project, d.configs...)...), User: d.user}
}

// prepare completes the secrets and waits for the database and message
// bus.
func (d daemon) prepare(ctx context.Context, c *Container) error {
	if err := c.Secrets(d.project, d.configs...); err != nil {
		return err
	}
	if d.database != "" {
		if err := c.WaitDatabase(ctx, d.database); err != nil {
			return err
		}
	}
	if d.rpc {
		return c.WaitRabbit(ctx)
	}
	return nil
}

func (d daemon) run(ctx context.Context, c *Container) error {
	if err := d.prepare(ctx, c); err != nil {
		return err
	}
	return c.Serve(ctx, nil, d.proc())
}

// apiService is an API daemon: it creates or upgrades its schema before
// serving. Its Keystone entry is made from the host (`mage up`, see
// openstack.APIs), so no long-running container holds the admin password.
type apiService struct {
	daemon
	// name is the catalog name, which names its schema stamp.
	name string
	// before runs on every start, ahead of the schema steps (directories
	// the service writes).
	before func(context.Context, *Container) error
	// schemaCmd is the manage command that creates or upgrades the
	// database; schema replaces it with code (nova's cells). Either is
	// skipped when its stamp says this image already ran it with the same
	// inputs (SchemaOnce).
	schemaCmd []string
	schema    func(context.Context, *Container, daemon) error
	inputs    func(*Container) ([]string, error)
	// after runs on every start, after the schema steps.
	after func(context.Context, *Container) error
	// server replaces the daemon's own process (uwsgi for placement).
	server *Proc
}

func (s apiService) run(ctx context.Context, c *Container) error {
	if err := s.prepare(ctx, c); err != nil {
		return err
	}
	if s.before != nil {
		if err := s.before(ctx, c); err != nil {
			return err
		}
	}
	if s.schema != nil || len(s.schemaCmd) > 0 {
		var inputs []string
		if s.inputs != nil {
			in, err := s.inputs(c)
			if err != nil {
				return err
			}
			inputs = in
		}
		if err := c.SchemaOnce(ctx, Schema{Section: s.database, Name: s.name, Inputs: inputs,
			Steps: func(ctx context.Context) error { return s.schemaSteps(ctx, c) }}); err != nil {
			return err
		}
	}
	if s.after != nil {
		if err := s.after(ctx, c); err != nil {
			return err
		}
	}
	server := s.proc()
	if s.server != nil {
		server = *s.server
	}
	return c.Serve(ctx, nil, server)
}

// schemaSteps create or upgrade the database.
func (s apiService) schemaSteps(ctx context.Context, c *Container) error {
	if s.schema != nil {
		return s.schema(ctx, c, s.daemon)
	}
	return manage(s.schemaCmd[0], s.schemaCmd[1:]...)(ctx, c, s.daemon)
}

// manage returns a schema step: the project's manage command as its user
// with its configuration.
func manage(command string, args ...string) func(context.Context, *Container, daemon) error {
	return func(ctx context.Context, c *Container, d daemon) error {
		return c.Run(ctx, d.manageProc(command, args...))
	}
}

// manageProc is a management command of d's project (nova-manage, ...)
// with d's configuration, run as d's user.
func (d daemon) manageProc(command string, args ...string) Proc {
	return Proc{Argv: append(append([]string{command}, oslo(d.project, d.configs...)...), args...), User: d.user, Plain: true}
}

func keystone(ctx context.Context, c *Container) error {
	if err := c.Secrets("keystone", "/etc/keystone/keystone.conf"); err != nil {
		return err
	}
	if err := c.WaitDatabase(ctx, "database"); err != nil {
		return err
	}
	// The key sets are volumes of their own: a start that finds one empty
	// (a purge of the keys alone, a fresh install) fills it, whatever the
	// schema stamp says.
	cred, err := credential("keystone")
	if err != nil {
		return err
	}
	for _, d := range []string{"/etc/keystone/fernet-keys", "/etc/keystone/credential-keys"} {
		wrote, err := initKeyRepository(d, int(cred.Uid), int(cred.Gid))
		if err != nil {
			return fmt.Errorf("keystone's key repository %s: %w", d, err)
		}
		if wrote {
			c.Logf("%s: created its first keys (0 staged, 1 primary)", d)
		}
	}
	keystoneArgs := oslo("keystone", "/etc/keystone/keystone.conf")
	// As every service's entry (api.registration): the public name on all
	// three interfaces.
	internal := "http://keystone." + cloudnames.PublicDomain + ":5000/v3"
	admin, ok := c.env("KEYSTONE_ADMIN_PASSWORD")
	if !ok {
		return errors.New("KEYSTONE_ADMIN_PASSWORD is not in the container environment")
	}
	steps := func(ctx context.Context) error {
		if err := c.Run(ctx, Proc{Argv: append(append([]string{"keystone-manage"}, keystoneArgs...), "db_sync"), User: "keystone", Plain: true}); err != nil {
			return err
		}
		// The password goes through the environment (OS_BOOTSTRAP_PASSWORD),
		// never the command line. bootstrap creates the admin project, user,
		// roles, region and identity endpoints, and resets the admin password
		// when it no longer matches.
		return c.Run(ctx, Proc{Argv: append(append([]string{"keystone-manage"}, keystoneArgs...), "bootstrap",
			"--bootstrap-username", cloudnames.AdminUser, "--bootstrap-project-name", cloudnames.AdminProject,
			"--bootstrap-role-name", cloudnames.AdminRole, "--bootstrap-service-name", "keystone",
			"--bootstrap-region-id", c.Env("REGION_NAME"),
			"--bootstrap-admin-url", internal, "--bootstrap-internal-url", internal,
			"--bootstrap-public-url", internal),
			User: "keystone", Plain: true, Env: []string{"OS_BOOTSTRAP_PASSWORD=" + admin}})
	}
	// Skipped on a warm start, unless the admin password changed.
	still := func(ctx context.Context, db database) error {
		return passwordCurrent(ctx, db, cloudnames.AdminUser, admin)
	}
	if err := c.SchemaOnce(ctx, Schema{Section: "database", Name: "keystone", Still: still, Steps: steps,
		Inputs: []string{cloudnames.AdminUser, cloudnames.AdminProject, cloudnames.AdminRole, c.Env("REGION_NAME"), internal}}); err != nil {
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

// glanceDirs gives glance its image store and staging area (volumes).
func glanceDirs(_ context.Context, _ *Container) error {
	for _, dir := range []string{"/var/lib/glance/images", "/var/lib/glance/tmp"} {
		if err := Own(dir, "glance", 0o750); err != nil {
			return err
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// waitOVNNorthbound waits for the database neutron's OVN driver writes to.
func waitOVNNorthbound(ctx context.Context, c *Container) error {
	addr, err := URLHost(strings.Replace(c.Conf("ovn", "ovn_nb_connection"), "tcp:", "tcp://", 1), "6641")
	if err != nil {
		return fmt.Errorf("[ovn] ovn_nb_connection: %w", err)
	}
	return c.WaitTCP(ctx, "OVN northbound database", addr)
}

// novaCells creates the API database schema, cell0 and cell1, and the
// cells' schema: nova-manage's api_db sync, cell_v2 map_cell0,
// create_cell (or update_cell) and db sync, run in one Python process by
// nova_cells.py (see its header for why). Every step is idempotent:
// map_cell0 keeps an existing cell0, and cell1 is created once, then
// updated on every start.
//
// cell1's mapping stores its transport URL as a template (see
// cellTransport), so the API database holds no RabbitMQ password and a
// changed password needs no nova-manage: with the literal URL create_cell
// stores by default, the conductors kept the first password and RabbitMQ
// refused them after a change. The update also converts a mapping an
// earlier version stored literally.
func novaCells(ctx context.Context, c *Container, d daemon) error {
	transport, err := cellTransport(c.Conf("DEFAULT", "transport_url"))
	if err != nil {
		return err
	}
	stdin, err := embeddedPythonStdin(novaCellsProgram, struct {
		Cell         string `json:"cell"`
		TransportURL string `json:"transport_url"`
	}{"cell1", transport})
	if err != nil {
		return err
	}
	return c.Run(ctx, Proc{Argv: embeddedPython("nova_cells.py", oslo(d.project, d.configs...)...),
		User: d.user, Plain: true, Stdin: stdin})
}

//go:embed nova_cells.py
var novaCellsProgram string

// cellTransport is the transport URL a cell mapping stores for
// transportURL (nova's [DEFAULT] transport_url): its credentials become
// the {username} and {password} that nova fills in from the reading
// service's own transport_url each time it loads the mapping (cell mapping
// templates, nova Rocky and later). The rest stays literal. A URL without
// a password is returned as it is.
func cellTransport(transportURL string) (string, error) {
	// oslo.messaging's several-host form (user:pass@a,user:pass@b or
	// user:pass@a,b) would parse as one host here.
	_, rest, _ := strings.Cut(transportURL, "://")
	authority, _, _ := strings.Cut(rest, "/")
	hosts := authority[strings.LastIndex(authority, "@")+1:]
	u, err := url.Parse(transportURL)
	if err != nil || u.Host == "" || strings.Count(authority, "@") > 1 || strings.Contains(hosts, ",") {
		// The URL holds the password: the error does not quote it.
		return "", errors.New("nova's [DEFAULT] transport_url is not a single-host URL with a host (cell1's mapping is a template of it)")
	}
	if _, ok := u.User.Password(); !ok {
		return transportURL, nil
	}
	t := u.Scheme + "://{username}:{password}@" + u.Host + u.EscapedPath()
	if u.RawQuery != "" {
		t += "?" + u.RawQuery
	}
	return t, nil
}

func novaCompute(ctx context.Context, c *Container) error {
	if err := c.SecretsWithout("nova", []string{"database", "api_database"}, "/etc/nova/nova.conf"); err != nil {
		return err
	}
	// The hypervisor is what libvirt on this host can run: KVM when its
	// domain capabilities offer it, plain emulation (TCG) otherwise.
	virt := "qemu"
	if b, err := os.ReadFile(virtTypeFile); err == nil && len(strings.Fields(string(b))) > 0 {
		// Infra setup's verdict: it booted a guest kernel under KVM.
		f := strings.SplitN(strings.TrimSpace(string(b)), " ", 3)
		virt = f[0]
		c.Logf("virtualization type from %s: %s", virtTypeFile, strings.Join(f[min(2, len(f)-1):], " "))
	} else if err := c.sup.Run(ctx, Proc{Argv: []string{"virsh", "--quiet", "-c", c.Conf("libvirt", "connection_uri"), "domcapabilities", "--virttype", "kvm"}}); err == nil {
		virt = "kvm"
	} else {
		c.Logf("libvirt offers no KVM here (%v); using QEMU emulation", err)
	}
	c.Logf("virtualization type: %s", virt)
	if err := c.Fragment("nova", "50-virt-type.conf", virtFragment(virt, c.Env("NOVA_CPU_MODE"))); err != nil {
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

// virtTypeFile is infra setup's verdict on KVM (internal/host.VirtTypeFile,
// as nova-compute sees HOTSTACK_DATA_DIR/nova).
const virtTypeFile = "/var/lib/nova/virt_type"

// virtFragment is nova's [libvirt] for the detected hypervisor: under KVM
// the CPU mode .env asks for (NOVA_CPU_MODE: host-model, or
// host-passthrough as the original had); under emulation libvirt's default
// CPU model, since TCG has no host CPU to model or pass through.
func virtFragment(virt, cpuMode string) string {
	s := "# Detected by hotstack-os entrypoint at container start.\n[libvirt]\nvirt_type = " + virt + "\n"
	if virt == "kvm" && cpuMode != "" {
		s += "cpu_mode = " + cpuMode + "\n"
	}
	return s
}

func neutronMetadata(ctx context.Context, c *Container) error {
	files := []string{"/etc/neutron/neutron.conf", "/etc/neutron/neutron_ovn_metadata_agent.ini"}
	if err := c.Secrets("neutron", files...); err != nil {
		return err
	}
	addr, err := URLHost(strings.Replace(c.Conf("ovn", "ovn_sb_connection"), "tcp:", "tcp://", 1), "6642")
	if err != nil {
		return fmt.Errorf("[ovn] ovn_sb_connection: %w", err)
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

// novaInputs are what nova-api's schema steps store beyond the schema:
// cell1's transport template and the cell databases' URLs (their passwords
// masked), so a changed RabbitMQ or MariaDB address updates cell1.
func novaInputs(c *Container) ([]string, error) {
	transport, err := cellTransport(c.Conf("DEFAULT", "transport_url"))
	if err != nil {
		return nil, err
	}
	inputs := []string{transport}
	for _, section := range []string{"database", "api_database"} {
		u, err := url.Parse(c.Conf(section, "connection"))
		if err != nil {
			// url.Parse's error quotes the value, password and all.
			return nil, fmt.Errorf("nova's [%s] connection is not a URL", section)
		}
		inputs = append(inputs, u.Redacted())
	}
	return inputs, nil
}
