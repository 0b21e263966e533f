package stack

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/config"
)

// referenceService mirrors the fields of shared/reference/hotstack-os-services.json
// that our data must reproduce exactly.
type referenceService struct {
	Name        string   `json:"name"`
	Layer       int      `json:"layer"`
	Description string   `json:"Description"`
	Requires    []string `json:"requires"`
	Container   struct {
		Env          []string `json:"env"`
		Volumes      []string `json:"volumes"`
		AddHosts     []string `json:"add_hosts"`
		Flags        []string `json:"flags"`
		Ports        []string `json:"ports"`
		Hostname     string   `json:"hostname"`
		Network      string   `json:"network"`
		IP           string   `json:"ip"`
		Image        string   `json:"image"`
		Args         []string `json:"args"`
		Entrypoint   string   `json:"entrypoint"`
		User         string   `json:"user"`
		NetworkAlias string   `json:"network_alias"`
	} `json:"container"`
	Health struct {
		Interval    int      `json:"interval_s"`
		Timeout     int      `json:"timeout_s"`
		Retries     int      `json:"retries"`
		StartPeriod int      `json:"start_period_s"`
		Cmd         []string `json:"cmd"`
	} `json:"health"`
	Stop string `json:"stop"`
}

// deviate applies the deliberate differences from the original deployment
// to its facts, each with its reason, so everything else must still match.
func deviate(ref []referenceService) {
	for i := range ref {
		c := &ref[i].Container
		// Secure by default: no password is shared between services.
		c.Env = ownSecrets(ref[i].Name, c.Env)
		// MariaDB and OVN's databases listen on their own container
		// address, not 0.0.0.0.
		if ip, ok := map[string]string{"mariadb": "__MARIADB_IP__", "ovn-northd": "__OVN_NORTHD_IP__"}[ref[i].Name]; ok {
			c.Env = append(c.Env, "LISTEN_IP="+ip)
		}
		if ref[i].Name == "ovn-northd" {
			// Two database servers and northd need no privileges.
			c.Flags = slices.DeleteFunc(c.Flags, func(f string) bool { return f == "--privileged" })
		}
		switch ref[i].Name {
		case "mariadb", "rabbitmq", "memcached":
			// Built from Debian's packages by `mage images`: no registry.
			c.Image = "localhost/hotstack-os-" + ref[i].Name + ":latest"
			if ref[i].Name == "rabbitmq" {
				// The node opens its port once booted with its user
				// (imported at boot), so the port says as much as
				// rabbitmq-diagnostics ping, without an Erlang VM's start.
				ref[i].Health.Cmd = []string{"nc", "-z", "127.0.0.1", "5672"}
			}
		case "keystone":
			// The entrypoint is Go (internal/entrypoint); the original's
			// shell library is not mounted (its images carry their own).
			c.Volumes = slices.DeleteFunc(c.Volumes, func(v string) bool { return strings.Contains(v, "common.sh") })
		case "nova-conductor", "nova-scheduler", "cinder-scheduler", "heat-engine":
			// Ready once it consumes RPC (holds its RabbitMQ connection),
			// not as soon as its process exists: nova-compute's first call
			// to a conductor that did not consume yet timed out after 10 s.
			ref[i].Health.Cmd = []string{"sh", "-c", "ss -Htn state established '( dport = :5672 )' | grep -q ."}
		case "cinder-volume":
			// `cinder-volume --version` is a whole Python start, slower
			// than the 5 s probe timeout on a busy host (the real cloud's
			// restart with new secrets failed on it).
			ref[i].Health.Cmd = []string{"test", "-f", "/proc/1/exe"}
		case "nova-compute":
			// The CPU mode guests get under KVM (.env NOVA_CPU_MODE).
			c.Env = append(c.Env, "NOVA_CPU_MODE=__NOVA_CPU_MODE__")
		case "dnsmasq":
			// The host's resolvers, for the names dnsmasq forwards
			// (guests' egress; the original forwarded nothing).
			c.Volumes = append(c.Volumes, "__HOTSTACK_DATA_DIR__/dns:/etc/dnsmasq-upstream:ro,z")
		case "haproxy":
			// The stats page stays inside the container.
			c.Ports = slices.DeleteFunc(c.Ports, func(p string) bool { return strings.HasSuffix(p, ":8404") })
		case "glance":
			// :U would chown the images to the image's default user
			// (root); infra setup owns the directory by glance instead.
			for j, v := range c.Volumes {
				c.Volumes[j] = strings.Replace(v, ":U,z", ":z", 1)
			}
		}
	}
}

// ownSecrets turns the original's shared secrets into each service's own:
// its database password (<SVC>_DB_PASSWORD, MariaDB gets them all for its
// users) and Keystone password (<SVC>_SERVICE_PASSWORD, by that name: all
// units read one environment file), a metadata secret
// of its own, and the token cache's key in the API services (those that
// got the admin password, to register themselves; up does that now, from
// the host). Keystone needs no service password, and
// nova-compute and the metadata agent get no database password (compute
// nodes have no database access; the agent needs none), nor does compute
// get the metadata secret it does not use.
func ownSecrets(name string, env []string) []string {
	svc := ""
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); strings.HasSuffix(k, "_DB_PASSWORD") {
			svc = strings.TrimSuffix(k, "_DB_PASSWORD")
		}
	}
	var out []string
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		switch {
		case name == "mariadb" && k == "MYSQL_PASSWORD":
			// Each project's user and password, and which databases
			// init-db.sh gives it.
			var users []string
			for _, a := range accountsOf(pointers(Services())) {
				if len(a.Databases) > 0 {
					k := config.DatabasePasswordKey(a.Project)
					out = append(out, k+"=__"+k+"__")
					users = append(users, a.Project+":"+strings.Join(a.Databases, "+"))
				}
			}
			out = append(out, DatabaseUsersVar+"="+strings.Join(users, ","))
			continue
		case strings.HasSuffix(k, "_DB_PASSWORD") && (name == "nova-compute" || name == "neutron-metadata"):
			continue
		case k == "METADATA_SECRET" && name == "nova-compute":
			continue
		case k == "SERVICE_PASSWORD" && name == "keystone":
			continue
		case strings.HasSuffix(k, "_DB_PASSWORD"):
			v = "__" + k + "__"
		case k == "SERVICE_PASSWORD":
			k, v = svc+"_SERVICE_PASSWORD", "__"+svc+"_SERVICE_PASSWORD__"
		case k == "METADATA_SECRET":
			v = "__METADATA_SECRET__"
		}
		if k == "KEYSTONE_ADMIN_PASSWORD" && name != "keystone" {
			// up registers the API services from the host.
			out = append(out, "MEMCACHE_SECRET_KEY=__MEMCACHE_SECRET_KEY__")
			continue
		}
		out = append(out, k+"="+v)
	}
	return out
}

// TestMatchesOriginalDeployment checks our service data against the facts
// recorded from the original deployment, field by field.
func TestMatchesOriginalDeployment(t *testing.T) {
	data, err := os.ReadFile("testdata/hotstack-os-services.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref []referenceService
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	st := testStack(t)
	deviate(ref)
	if len(ref) != len(st.Services()) {
		t.Fatalf("%d reference units, %d services", len(ref), len(st.Services()))
	}
	for _, r := range ref {
		s := st.Get(r.Name)
		if s == nil {
			t.Errorf("missing service %s", r.Name)
			continue
		}
		check := func(field string, got, want any) {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s.%s = %v, want %v", r.Name, field, got, want)
			}
		}
		check("Layer", s.Layer, r.Layer)
		check("Description", s.Description, r.Description)
		if s.Oneshot {
			// Its host prerequisites (openvswitch, nfs-server) are systemd
			// units, rendered in units/, not stack services.
			continue
		}
		check("DependsOn", norm(s.DependsOn), norm(r.Requires))
		c := s.Container
		// The original tags every image latest; ours carry the release.
		check("Image", c.ImageFor("latest"), r.Container.Image)
		check("Hostname", c.Hostname, r.Container.Hostname)
		check("Network", c.Network, r.Container.Network)
		ip := ""
		if c.IPKey != "" {
			ip = "__" + c.IPKey + "__"
		}
		check("IP", ip, r.Container.IP)
		check("Entrypoint", c.Entrypoint, r.Container.Entrypoint)
		check("User", c.User, r.Container.User)
		check("NetworkAlias", c.NetworkAlias, r.Container.NetworkAlias)
		var env []string
		for _, e := range c.Env {
			env = append(env, e.Name+"="+e.Value)
		}
		check("Env", norm(env), norm(r.Container.Env))
		check("Volumes", norm(c.Volumes), norm(r.Container.Volumes))
		check("AddHosts", norm(c.AddHosts), norm(r.Container.AddHosts))
		check("Ports", norm(c.Ports), norm(r.Container.Ports))
		check("Args", norm(c.Args), norm(r.Container.Args))
		var flags []string
		for _, f := range r.Container.Flags {
			switch {
			case f == "--pull=never": // we pass it to every container
			case f == "--privileged":
				check("Privileged", c.Privileged, true)
			case strings.HasPrefix(f, "--security-opt "):
				flags = append(flags, strings.TrimPrefix(f, "--security-opt "))
			default:
				t.Errorf("%s: unhandled reference flag %q", r.Name, f)
			}
		}
		check("SecurityOpts", norm(c.SecurityOpts), norm(flags))
		h := s.Health
		check("Health.Cmd", h.Cmd, r.Health.Cmd)
		check("Health.Interval", h.Interval, time.Duration(r.Health.Interval)*time.Second)
		check("Health.Timeout", h.Timeout, time.Duration(r.Health.Timeout)*time.Second)
		check("Health.Retries", h.Retries, r.Health.Retries)
		check("Health.StartPeriod", h.StartPeriod, time.Duration(r.Health.StartPeriod)*time.Second)
		check("Stop", "/usr/bin/podman stop -t "+strconv.Itoa(int(s.StopTimeout/time.Second))+" "+ContainerName(s.Name), r.Stop)
	}
}

func norm(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
