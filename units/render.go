package units

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Tunables of the rendered units.
const (
	// RestartDelay: a container that exits, or fails its health gate, is
	// started again after this delay, forever (no start limit): after an
	// outage of a dependency of any length every service is back within
	// one delay plus its own start. A crash loop costs one start per delay.
	RestartDelay        = 10 * time.Second
	startTimeoutSlack   = 30 * time.Second
	stopTimeoutSlack    = 15 * time.Second
	infraStartTimeout   = 2 * time.Minute
	sigtermExitStatus   = "143"
	onlineTarget        = "network-online.target"
	installedConfigNote = "HOTSTACK_ENV="
	// imageWord stands for the image in the unit the fingerprint covers:
	// an image change is reported as such, not as a unit change.
	imageWord = "IMAGE"
)

// hostPrerequisites are the host services the stack needs, under every
// name Debian/Ubuntu and Fedora/RHEL/CentOS give them: Open vSwitch
// (openvswitch-switch on Debian; openvswitch on Fedora; ovsdb-server and
// ovs-vswitchd on both). The infra unit wants and follows each: a name the
// host lacks is ignored by systemd. No NFS server: Cinder's share is a
// bind mount (see stack's nfsExport).
func hostPrerequisites() []string {
	return []string{"openvswitch-switch.service", "openvswitch.service", "ovsdb-server.service", "ovs-vswitchd.service"}
}

// LibvirtUnits are libvirt's names: the monolithic daemon and the modular
// QEMU daemon, with their sockets. The infra unit is ordered after all of
// them but wants only those Inputs.Libvirt names: the modular units
// declare Conflicts= with the monolithic ones, so wanting both flavours
// would have systemd stop whichever the host runs.
func LibvirtUnits() []string {
	return []string{"libvirtd.service", "libvirtd.socket", "virtqemud.service", "virtqemud.socket"}
}

// DefaultLibvirt is the libvirt unit wanted on a host that has not enabled
// the modular daemon (Debian and Ubuntu, and hosts without libvirt).
func DefaultLibvirt() []string { return []string{"libvirtd.service"} }

// Inputs are what rendering needs besides the config and the stack. Render
// reads nothing itself: the caller gathers these.
type Inputs struct {
	// Key keys the fingerprint labels: KeySize random bytes, generated
	// by the first install and kept in Paths.KeyFile.
	Key []byte
	// Configs are the rendered templates (`mage config`), with their
	// absolute paths: the fingerprint of a container covers each one it
	// mounts.
	Configs []File
	// Libvirt are the libvirt units the infra unit pulls in (a subset of
	// LibvirtUnits; DefaultLibvirt when empty).
	Libvirt []string
}

// Rendered is the output of Render.
type Rendered struct {
	// Files are every file install writes except the templates and the
	// helper binary, sorted by path.
	Files []File
	// Fingerprints are what each container service's unit starts it
	// from, by service name; its labels carry the same.
	Fingerprints map[string]Fingerprint
}

// Render returns every file install writes except the rendered templates
// and the helper binary: the units, the target, the installed config, the
// secrets file and the fingerprint key file; and the fingerprint of each
// container. It does no I/O.
func Render(cfg *config.Config, st *stack.Stack, p Paths, in Inputs) (*Rendered, error) {
	if len(in.Key) != KeySize {
		return nil, fmt.Errorf("the fingerprint key has %d bytes, want %d", len(in.Key), KeySize)
	}
	libvirt := in.Libvirt
	if len(libvirt) == 0 {
		libvirt = DefaultLibvirt()
	}
	for _, u := range libvirt {
		if !slices.Contains(LibvirtUnits(), u) {
			return nil, fmt.Errorf("%s is not one of the libvirt units %s", u, strings.Join(LibvirtUnits(), ", "))
		}
	}
	configs := map[string][]byte{}
	for _, f := range in.Configs {
		configs[f.Path] = f.Data
	}
	secrets := secretEnv{}
	out := &Rendered{Fingerprints: map[string]Fingerprint{}}
	var wants []string
	for _, svc := range st.Services() {
		var opts []*unit.UnitOption
		if svc.Oneshot {
			opts = infraUnit(svc, p, libvirt)
		} else {
			var fp Fingerprint
			var err error
			if opts, fp, err = containerUnit(cfg, svc, p, in.Key, configs, secrets); err != nil {
				return nil, err
			}
			out.Fingerprints[svc.Name] = fp
		}
		name := stack.UnitName(svc.Name)
		wants = append(wants, name)
		out.Files = append(out.Files, File{Path: p.UnitDir + "/" + name, Data: serialize(opts), Mode: 0o644})
	}
	out.Files = append(out.Files,
		File{Path: p.UnitDir + "/" + stack.TargetName, Data: serialize(targetUnit(wants)), Mode: 0o644},
		File{Path: p.ConfigFile(), Data: ConfigEnv(cfg), Mode: 0o644},
		File{Path: p.SecretsFile(), Data: secrets.file(), Mode: 0o600, Secret: true},
		File{Path: p.KeyFile(), Data: KeyFileData(in.Key), Mode: 0o600, Secret: true},
	)
	if gen := cfg.GeneratedSecrets(); len(gen) > 0 {
		out.Files = append(out.Files, File{Path: p.GeneratedSecretsFile(), Data: generatedFile(gen), Mode: 0o600, Secret: true})
	}
	slices.SortFunc(out.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func opt(section, name, value string) *unit.UnitOption {
	return unit.NewUnitOption(section, name, value)
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// containerUnit renders svc's unit and its fingerprint. The unit's own
// fingerprint covers the unit as it would be without its image and its
// labels; the labels are then added to the podman command line.
func containerUnit(cfg *config.Config, svc *stack.Service, p Paths, key []byte, configs map[string][]byte, secrets secretEnv) ([]*unit.UnitOption, Fingerprint, error) {
	run, err := podmanRun(cfg, p, svc, secrets)
	if err != nil {
		return nil, Fingerprint{}, err
	}
	fp := Fingerprint{Image: run.argv[run.image], Secrets: secretsFingerprint(key, run.secrets), Configs: map[string]string{}}
	mounted, err := mountedConfigs(cfg, svc)
	if err != nil {
		return nil, Fingerprint{}, err
	}
	for _, path := range mounted {
		data, ok := configs[path]
		if !ok {
			return nil, Fingerprint{}, fmt.Errorf("service %s mounts %s, which no template renders", svc.Name, path)
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if _, dup := fp.Configs[name]; dup {
			return nil, Fingerprint{}, fmt.Errorf("service %s mounts two rendered files named %s; their labels would clash", svc.Name, name)
		}
		fp.Configs[name] = fingerprint(key, "config", data)
	}
	usesSecrets := len(run.secrets) > 0
	gate := healthGateArgs(cfg, svc)
	bare := slices.Clone(run.argv)
	bare[run.image] = imageWord
	fp.Unit = fingerprint(key, "unit", serialize(containerOptions(svc, p, bare, usesSecrets, gate)))
	var labels []string
	for _, l := range fp.Labels() {
		labels = append(labels, "--label", l)
	}
	argv := slices.Concat(run.argv[:run.image], labels, run.argv[run.image:])
	return containerOptions(svc, p, argv, usesSecrets, gate), fp, nil
}

// healthGateArgs are the health gate's arguments: the service, and the
// address of its port gate (stack.Health.Port) when it has one.
func healthGateArgs(cfg *config.Config, svc *stack.Service) []string {
	args := []string{"health-gate", svc.Name}
	if svc.Health.Port > 0 && svc.Container.IPKey != "" {
		args = append(args, net.JoinHostPort(cfg.Get(svc.Container.IPKey), strconv.Itoa(svc.Health.Port)))
	}
	return args
}

// mountedConfigs are the rendered files svc mounts: its volumes below the
// runtime directory, and its secrets templates.
func mountedConfigs(cfg *config.Config, svc *stack.Service) ([]string, error) {
	runtime, err := cfg.Expand(stack.RuntimeDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range svc.Container.Volumes {
		v, err := cfg.Expand(v)
		if err != nil {
			return nil, fmt.Errorf("service %s: volume: %w", svc.Name, err)
		}
		if src, _, _ := strings.Cut(v, ":"); strings.HasPrefix(src, runtime) {
			out = append(out, src)
		}
	}
	for _, tmpl := range svc.Container.Secrets {
		path, err := cfg.Expand(stack.RuntimeConfig + tmpl)
		if err != nil {
			return nil, fmt.Errorf("service %s: secrets template: %w", svc.Name, err)
		}
		out = append(out, path)
	}
	return out, nil
}

func containerOptions(svc *stack.Service, p Paths, run []string, usesSecrets bool, gate []string) []*unit.UnitOption {
	infra := stack.UnitName(stack.InfraName)
	after := []string{infra}
	var wants []string
	for _, dep := range svc.DependsOn {
		if dep == stack.InfraName {
			continue
		}
		after = append(after, stack.UnitName(dep))
		wants = append(wants, stack.UnitName(dep))
	}
	name := stack.ContainerName(svc.Name)
	u := []*unit.UnitOption{
		opt("Unit", "Description", specifierSafe(svc.Description)),
		opt("Unit", "Requires", infra),
		opt("Unit", "After", strings.Join(after, " ")),
	}
	if len(wants) > 0 {
		// Wants=, not Requires=: restarting a dependency must not
		// cascade-restart its dependents (see README).
		u = append(u, opt("Unit", "Wants", strings.Join(wants, " ")))
	}
	u = append(u,
		opt("Unit", "PartOf", stack.TargetName),
		// No start limit: Restart= below retries every RestartDelay for
		// as long as it takes (see README, "Self-healing").
		opt("Unit", "StartLimitIntervalSec", "0"),
		opt("Service", "Type", "simple"),
		opt("Service", "Environment", installedConfigNote+p.ConfigFile()),
	)
	if usesSecrets {
		u = append(u, opt("Service", "EnvironmentFile", p.SecretsFile()))
	}
	u = append(u,
		opt("Service", "ExecStart", execLine(run...)),
		opt("Service", "ExecStartPost", execLine(append([]string{p.Helper}, gate...)...)),
		opt("Service", "ExecStop", execLine(p.Podman, "stop", "-t", seconds(svc.StopTimeout), name)),
		opt("Service", "ExecStopPost", "-"+execLine(p.Podman, "rm", "-f", name)),
		opt("Service", "SuccessExitStatus", sigtermExitStatus),
		// always, not on-failure: a container stopped behind systemd's
		// back (podman stop: exit 0 or 143) comes back too; an operator's
		// systemctl stop or mage down is never undone.
		opt("Service", "Restart", "always"),
		opt("Service", "RestartSec", seconds(RestartDelay)),
		opt("Service", "TimeoutStartSec", seconds(svc.Health.Deadline()+startTimeoutSlack)),
		opt("Service", "TimeoutStopSec", seconds(svc.StopTimeout+stopTimeoutSlack)),
		opt("Service", "StandardOutput", "journal"),
		opt("Service", "StandardError", "journal"),
		opt("Service", "SyslogIdentifier", name),
		opt("Install", "WantedBy", stack.TargetName),
	)
	return u
}

func infraUnit(svc *stack.Service, p Paths, libvirt []string) []*unit.UnitOption {
	wants := slices.Concat([]string{onlineTarget}, hostPrerequisites(), libvirt)
	after := slices.Concat([]string{onlineTarget}, hostPrerequisites(), LibvirtUnits())
	return []*unit.UnitOption{
		opt("Unit", "Description", specifierSafe(svc.Description)),
		// Pulled in at boot under all their names (systemd ignores the
		// ones this host lacks); setup waits a bounded time for Open
		// vSwitch to answer, and says which service to start if not.
		opt("Unit", "Wants", strings.Join(wants, " ")),
		opt("Unit", "After", strings.Join(after, " ")),
		opt("Unit", "PartOf", stack.TargetName),
		opt("Service", "Type", "oneshot"),
		opt("Service", "RemainAfterExit", "yes"),
		opt("Service", "Environment", installedConfigNote+p.ConfigFile()),
		opt("Service", "ExecStart", execLine(p.Helper, "infra", "setup")),
		opt("Service", "ExecStop", execLine(p.Helper, "infra", "cleanup")),
		opt("Service", "TimeoutStartSec", seconds(infraStartTimeout)),
		opt("Service", "StandardOutput", "journal"),
		opt("Service", "StandardError", "journal"),
		opt("Service", "SyslogIdentifier", stack.ContainerName(svc.Name)),
		opt("Install", "WantedBy", stack.TargetName),
	}
}

func targetUnit(wants []string) []*unit.UnitOption {
	return []*unit.UnitOption{
		opt("Unit", "Description", "HotStack-OS single-host OpenStack"),
		opt("Unit", "Wants", strings.Join(wants, " ")),
		// Ordered after every unit, so the target is reached (and
		// `systemctl start hotstack-os.target` returns) only once each
		// unit's start job, health gate included, has finished.
		opt("Unit", "After", strings.Join(wants, " ")),
		opt("Install", "WantedBy", "multi-user.target"),
	}
}

func serialize(opts []*unit.UnitOption) []byte {
	var b bytes.Buffer
	b.WriteString("# Generated by hotstack-os install; edit .env and re-run install instead.\n")
	_, _ = io.Copy(&b, unit.Serialize(opts))
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// file renders secrets.env, sorted for stable output.
func (s secretEnv) file() []byte {
	var b strings.Builder
	b.WriteString("# Generated by hotstack-os install. Secrets: keep mode 0600.\n")
	for _, n := range slices.Sorted(maps.Keys(s)) {
		fmt.Fprintf(&b, "%s=%s\n", n, envFileValue(s[n]))
	}
	return []byte(b.String())
}

// generatedFile keeps the secrets generated for the keys the .env leaves
// unset, in .env syntax, for the next run to read back (config's
// StoredSecrets).
func generatedFile(gen map[string]string) []byte {
	var b strings.Builder
	b.WriteString("# Generated by hotstack-os install: the secrets the .env leaves unset. Keep mode 0600.\n")
	b.WriteString("# To choose one yourself, set it in the .env; to rotate one, delete its line and run mage up.\n")
	for _, n := range slices.Sorted(maps.Keys(gen)) {
		fmt.Fprintf(&b, "%s=%s\n", n, envFileValue(gen[n]))
	}
	return []byte(b.String())
}

// ConfigEnv renders the installed configuration: every resolved key, with
// secrets left empty (they live in secrets.env only). Values are single
// quoted, which the .env parser takes literally.
func ConfigEnv(cfg *config.Config) []byte {
	var b strings.Builder
	b.WriteString("# Generated by hotstack-os install from " + cfg.File + "; secrets are not stored here.\n")
	for _, k := range cfg.Schema() {
		if k.Kind == config.Secret {
			fmt.Fprintf(&b, "%s=\n", k.Name)
			continue
		}
		fmt.Fprintf(&b, "%s='%s'\n", k.Name, cfg.Get(k.Name))
	}
	return []byte(b.String())
}
