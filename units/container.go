package units

import (
	"fmt"
	"net/netip"
	"path"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
)

// secretEnv maps each container variable that carries a secret to the
// secret's value. The value goes to secrets.env; the unit names the
// variable only.
type secretEnv map[string]string

// secretKeyOf returns KEY when value is exactly "__KEY__" for a secret KEY.
// A secret embedded in a longer value could not be passed by name, so it is
// an error.
func secretKeyOf(cfg *config.Config, svc, name, value string) (string, error) {
	for _, key := range config.Placeholders(value) {
		if !cfg.IsSecret(key) {
			continue
		}
		if value != "__"+key+"__" {
			return "", fmt.Errorf("service %s: env %s embeds secret %s in a longer value; secrets must be whole values", svc, name, key)
		}
		return key, nil
	}
	return "", nil
}

// DroppedCapabilities are the capabilities an unprivileged container gives
// up: podman's defaults that no service uses (file capabilities, changing
// its own capability sets, chroot), and those some podman versions still
// grant (raw sockets, device nodes, audit records).
func DroppedCapabilities() []string {
	return []string{"AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP", "SETPCAP", "SYS_CHROOT"}
}

// podmanCommand is a service's `podman run` command line.
type podmanCommand struct {
	argv    []string
	image   int               // index of the image in argv
	secrets map[string]string // the secret variables it passes by name, with their values
}

// podmanRun builds the argv of `podman run` for svc, and records the secret
// variables it passes by name (in secrets, shared by all services, and in
// the command's own).
func podmanRun(cfg *config.Config, p Paths, svc *stack.Service, secrets secretEnv) (podmanCommand, error) {
	own := map[string]string{}
	c := svc.Container
	expand := func(what, s string) (string, error) {
		v, err := cfg.Expand(s)
		if err != nil {
			return "", fmt.Errorf("service %s: %s: %w", svc.Name, what, err)
		}
		return v, nil
	}
	// k8s-file: the container's output reaches the journal once, through
	// the attached `podman run` (the journald driver, a common default,
	// would log every line a second time); `podman logs` still works.
	argv := []string{p.Podman, "run", "--pull=never", "--log-driver=k8s-file", "--name", stack.ContainerName(svc.Name)}
	add := func(flag, value string) { argv = append(argv, flag, value) }
	if c.Hostname != "" {
		add("--hostname", c.Hostname)
	}
	add("--network", c.Network)
	if c.IPKey != "" {
		add("--ip", cfg.Get(c.IPKey))
		// A fixed MAC beside the fixed address: a container started
		// again gets a new interface, and with a new MAC its clients'
		// neighbour caches would send to the old one until the entries
		// expired (after a MariaDB restart the APIs' first connection
		// timed out: HTTP 500).
		if mac := MACFor(cfg.Get(c.IPKey)); mac != "" {
			add("--mac-address", mac)
		}
	}
	if c.NetworkAlias != "" {
		add("--network-alias", c.NetworkAlias)
	}
	if c.User != "" {
		add("--user", c.User)
	}
	if c.Entrypoint != "" {
		add("--entrypoint", c.Entrypoint)
	}
	if c.Privileged {
		argv = append(argv, "--privileged")
	} else {
		// Least privilege for everything that needs no device or kernel
		// access: no capability it does not use (the entrypoint still
		// chowns its directories and drops to the service's user), and
		// no setuid program can raise it again.
		add("--cap-drop", strings.Join(DroppedCapabilities(), ","))
		add("--security-opt", "no-new-privileges")
	}
	for _, o := range c.SecurityOpts {
		add("--security-opt", o)
	}
	for _, e := range c.Env {
		key, err := secretKeyOf(cfg, svc.Name, e.Name, e.Value)
		if err != nil {
			return podmanCommand{}, err
		}
		if key != "" {
			if prev, ok := secrets[e.Name]; ok && prev != cfg.Get(key) {
				return podmanCommand{}, fmt.Errorf("service %s: env %s carries %s, but another service passes a different secret under the same name", svc.Name, e.Name, key)
			}
			secrets[e.Name] = cfg.Get(key)
			own[e.Name] = cfg.Get(key)
			add("--env", e.Name) // podman copies the value from its own environment
			continue
		}
		v, err := expand("env "+e.Name, e.Value)
		if err != nil {
			return podmanCommand{}, err
		}
		add("--env", e.Name+"="+v)
	}
	volumes := append(append([]string{}, c.Volumes...), c.ExtraVolumes...)
	for _, tmpl := range c.Secrets {
		volumes = append(volumes, stack.RuntimeConfig+tmpl+":"+SecretsMount+"/"+path.Base(tmpl)+":ro,z")
	}
	// The helper is every container's entrypoint and mount.nfs (the image
	// contract, see README); the image need not be rebuilt when it changes.
	volumes = append(volumes, p.Helper+":"+ContainerHelper+":ro")
	for _, list := range []struct {
		flag  string
		items []string
	}{{"--volume", volumes}, {"--add-host", c.AddHosts}, {"--publish", c.Ports}} {
		for _, item := range list.items {
			v, err := expand(strings.TrimPrefix(list.flag, "--"), item)
			if err != nil {
				return podmanCommand{}, err
			}
			add(list.flag, v)
		}
	}
	image := len(argv)
	argv = append(argv, Image(cfg, svc))
	return podmanCommand{argv: append(argv, c.Args...), image: image, secrets: own}, nil
}

// Where the image contract puts things inside a container.
const (
	// ContainerHelper is the helper binary, mounted read-only.
	ContainerHelper = stack.ContainerHelper
	// SecretsMount holds the service's secrets templates.
	SecretsMount = "/etc/hotstack-os/secrets"
)

// Image is the image a service runs: its .env override or the default.
func Image(cfg *config.Config, svc *stack.Service) string {
	if k := stack.ImageKey(svc.Name); cfg.Has(k) {
		return cfg.Get(k)
	}
	return svc.Container.Image
}

// MACFor is the fixed MAC address of the container whose IPv4 address is
// ip: locally administered (02), then 0x48 ('H'otstack), then the four
// bytes of the address, so every address has its own. "" when ip is not
// an IPv4 address.
func MACFor(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return ""
	}
	b := a.As4()
	return fmt.Sprintf("02:48:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}
