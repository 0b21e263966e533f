// Package stack describes the HotStack-OS services as Go data: what each
// runs, what it needs first, how its health is judged. It knows nothing of
// systemd or of how services are started; units/ and tasks/ read it.
package stack

import (
	"strings"
	"time"
)

// Service is one node of the stack graph.
type Service struct {
	Name        string
	Layer       int
	Description string
	// DependsOn names services that must be healthy before this one
	// starts.
	DependsOn []string
	// Oneshot marks the host-infrastructure step, which runs our own
	// binary rather than a container.
	Oneshot bool
	// Build is the image this service alone runs (its container runs it);
	// nil for a service that runs a shared image (sharedImages), which its
	// Container.Image names.
	Build     *Image
	Container Container
	// Accounts are the users of the service's OpenStack project, declared
	// by one of its services (its API); nil for the others.
	Accounts *Accounts
	// Start is how the container's entrypoint starts the service; nil
	// for a container that runs its image's own command.
	Start  *Start
	Health Health
	// StopTimeout is the graceful stop window given to `podman stop -t`.
	StopTimeout time.Duration
}

// Container is how a service's container is run. String fields may hold
// __KEY__ placeholders for .env values.
type Container struct {
	// Image is the default image repository, tagged with the release;
	// <NAME>_IMAGE in .env overrides it. Set from Build for a service's own
	// image.
	Image    string
	Hostname string
	Network  string // "hotstack-os" or "host"
	IPKey    string // .env key holding the static IP, if any
	// Address is IPKey's default and documentation in the .env. A
	// host-network container may keep an address reserved (ReservedKey).
	Address      Address
	NetworkAlias string
	User         string
	Entrypoint   string
	Privileged   bool
	SecurityOpts []string
	Env          []EnvVar
	Volumes      []string
	AddHosts     []string
	Ports        []string
	Args         []string
	// Secrets are secrets templates below the rendered config directory
	// (e.g. "nova/nova.secrets.conf"), mounted read-only in
	// /etc/hotstack-os/secrets/, where the container's entrypoint completes
	// them from its environment (see README, "Image contract").
	Secrets []string
	// ExtraVolumes are mounts the original deployment did not have.
	ExtraVolumes []string
}

// Address is what the .env holds of a container's static address besides
// its key (Container.IPKey): the default, inside the default
// CONTAINER_NETWORK, and what the .env says of it.
type Address struct {
	IP  string
	Doc string
	// ReservedKey, on a container of the host's network (no IPKey), is
	// the key of an address kept for it, which it does not use.
	ReservedKey string
}

// Accounts are an OpenStack project's users, each with a password of its
// own in the .env (config.DatabasePassword, config.ServicePassword): a
// MariaDB user that may use the project's databases only, and a Keystone
// service user. The project's services name the passwords in their
// environment (dbPassword, servicePassword).
type Accounts struct {
	// Project names both users.
	Project string
	// Databases are the databases its MariaDB user may use, which
	// MariaDB's set-up creates (templates/scripts/init-db.sh); none: no
	// MariaDB user.
	Databases []string
	// ServiceUser: the project has a Keystone service user (Keystone
	// itself has none).
	ServiceUser bool
	// AlsoFor names the other Keystone users that have the service
	// user's password, as the .env documents it.
	AlsoFor string
}

// Start is how the helper's entrypoint (internal/entrypoint, PID 1 of the
// container) starts a service: which of its start-up recipes, and the data
// that recipe reads. The recipes are Go code there; everything that
// differs between the services they start is here.
type Start struct {
	// Recipe names the start-up code: StartDaemon, StartAPI, or the
	// service's own (internal/entrypoint has one for the services whose
	// start is unlike any other's, named after the service).
	Recipe string
	// Project is the OpenStack project: the daemon's user, its secrets and
	// its /etc/PROJECT/PROJECT.conf.d.
	Project string
	// Configs are the public configuration files, in the order the daemon
	// reads them; the container mounts each.
	Configs []string
	// Command is the daemon's command line, before its configuration.
	Command []string
	// Database is the configuration section of the database connection to
	// wait for; "" for none.
	Database string
	// RPC waits for the message bus too.
	RPC bool
	// Catalog is an API's Keystone catalog name, which names its schema
	// stamp.
	Catalog string
	// Schema is an API's manage command that creates or upgrades its
	// database (run with the daemon's configuration, as its user).
	Schema []string
}

// The generic start-up recipes (Start.Recipe).
const (
	// StartDaemon completes the secrets, waits for the database and
	// message bus, and runs Command.
	StartDaemon = "daemon"
	// StartAPI is StartDaemon that first creates or upgrades its schema,
	// once per image and inputs.
	StartAPI = "api"
)

// EnvVar is one container environment variable. A value that is exactly a
// secret's placeholder (e.g. "__DB_PASSWORD__") is passed by name only.
type EnvVar struct{ Name, Value string }

// Health is a service's probe and the original deployment's timings.
type Health struct {
	// Cmd runs inside the container; exit 0 means healthy.
	Cmd []string
	// Port, when set, is the TCP port the service opens at its container
	// address once it is nearly ready: the health gate waits for it from
	// the host (a connect costs nothing) before running Cmd, because each
	// `podman exec` costs a tenth of a CPU-second and a Python service
	// takes tens of seconds to open its port.
	Port int
	// FromHost, when set, is what the health gate checks from the host
	// instead of running Cmd in the container: the same fact, without a
	// `podman exec`.
	FromHost    HostCheck
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int
	StartPeriod time.Duration
	// Bootstrap is the time a service's first start may need on top of
	// the original's budget: creating or upgrading its database schema
	// and registering in Keystone, on two loaded cores.
	Bootstrap time.Duration
}

// Deadline is how long a service may take to become healthy: the budget the
// original's health check allowed (start period plus every retry), plus one
// probe timeout, plus the service's bootstrap allowance. We poll far more
// often inside that window.
func (h Health) Deadline() time.Duration {
	return h.StartPeriod + time.Duration(h.Retries)*h.Interval + h.Timeout + h.Bootstrap
}

// HostCheck is a health check made from the host (health.HTTP,
// health.Listening, health.Connected). At most one field is set.
type HostCheck struct {
	// HTTPPath: a GET of this path at the gated port answers with a
	// status below 400 (curl -f), or with any status when AnyStatus is set.
	HTTPPath  string
	AnyStatus bool
	// Listening: the port gate alone proves it; Cmd only checks that the
	// gated port accepts connections.
	Listening bool
	// ConnectedTo: the container holds an established connection to this
	// TCP port (RabbitMQ's: an RPC worker that consumes its queues).
	ConnectedTo int
}

// IsSet reports whether the check is made from the host.
func (c HostCheck) IsSet() bool { return c.HTTPPath != "" || c.Listening || c.ConnectedTo > 0 }

// answersHTTP returns h checked from the host by a GET of path at its
// gated port (see HostCheck).
func (h Health) answersHTTP(path string, anyStatus bool) Health {
	h.FromHost = HostCheck{HTTPPath: path, AnyStatus: anyStatus}
	return h
}

// listening returns h checked from the host by its port gate alone.
func (h Health) listening() Health {
	h.FromHost = HostCheck{Listening: true}
	return h
}

// connectedTo returns h checked from the host by the container's
// connection to port.
func (h Health) connectedTo(port int) Health {
	h.FromHost = HostCheck{ConnectedTo: port}
	return h
}

// gatedBy returns h with a port gate (Port).
func (h Health) gatedBy(port int) Health {
	h.Port = port
	return h
}

// withBootstrap returns h with a bootstrap allowance.
func (h Health) withBootstrap(d time.Duration) Health {
	h.Bootstrap = d
	return h
}

// ImageFor is the default image of the container for a release: the
// repository, tagged with the release's name (images.Recipes tags them so).
func (c Container) ImageFor(release string) string { return c.Image + ":" + release }

// UnitName is the systemd unit of a service.
func UnitName(service string) string { return "hotstack-os-" + service + ".service" }

// ContainerName is the podman container of a service.
func ContainerName(service string) string { return "hotstack-os-" + service }

// ImageKey is the .env key that overrides a service's image.
func ImageKey(service string) string {
	return strings.ToUpper(strings.ReplaceAll(service, "-", "_")) + "_IMAGE"
}

// TargetName is the systemd target grouping the stack.
const TargetName = "hotstack-os.target"

// InfraName is the host-infrastructure oneshot's service name.
const InfraName = "infra-setup"
