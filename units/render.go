package units

import (
	"bytes"
	"fmt"
	"io"
	"maps"
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
	// restartDelay: a crashed container comes back quickly; the start limit
	// below ends a crash loop (5 starts in 2 minutes, ~30 s of retrying).
	restartDelay        = 5 * time.Second
	startLimitInterval  = 2 * time.Minute
	startLimitBurst     = 5
	staleStopTimeout    = 2 // seconds given to a leftover container
	startTimeoutSlack   = 30 * time.Second
	stopTimeoutSlack    = 15 * time.Second
	infraStartTimeout   = 2 * time.Minute
	sigtermExitStatus   = "143"
	hostPrerequisites   = "network-online.target openvswitch-switch.service openvswitch.service nfs-server.service"
	onlineTarget        = "network-online.target"
	installedConfigNote = "HOTSTACK_ENV="
)

// Render returns every file install writes except the helper binary: the
// units, the target, the installed config and the secrets file. It does no
// I/O. Files come back sorted by path.
func Render(cfg *config.Config, st *stack.Stack, p Paths) ([]File, error) {
	secrets := secretEnv{}
	var files []File
	var wants []string
	for _, svc := range st.Services() {
		var opts []*unit.UnitOption
		var err error
		if svc.Oneshot {
			opts = infraUnit(svc, p)
		} else if opts, err = containerUnit(cfg, st, svc, p, secrets); err != nil {
			return nil, err
		}
		name := stack.UnitName(svc.Name)
		wants = append(wants, name)
		files = append(files, File{Path: p.UnitDir + "/" + name, Data: serialize(opts), Mode: 0o644})
	}
	files = append(files,
		File{Path: p.UnitDir + "/" + stack.TargetName, Data: serialize(targetUnit(wants)), Mode: 0o644},
		File{Path: p.ConfigFile(), Data: ConfigEnv(cfg), Mode: 0o644},
		File{Path: p.SecretsFile(), Data: secrets.file(), Mode: 0o600, Secret: true},
	)
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

func opt(section, name, value string) *unit.UnitOption {
	return unit.NewUnitOption(section, name, value)
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

func containerUnit(cfg *config.Config, st *stack.Stack, svc *stack.Service, p Paths, secrets secretEnv) ([]*unit.UnitOption, error) {
	run, err := podmanRun(cfg, p, svc, secrets)
	if err != nil {
		return nil, err
	}
	usesSecrets := anySecret(cfg, svc)
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
		opt("Unit", "StartLimitIntervalSec", seconds(startLimitInterval)),
		opt("Unit", "StartLimitBurst", strconv.Itoa(startLimitBurst)),
		opt("Service", "Type", "simple"),
		opt("Service", "Environment", installedConfigNote+p.ConfigFile()),
	)
	if usesSecrets {
		u = append(u, opt("Service", "EnvironmentFile", p.SecretsFile()))
	}
	u = append(u,
		opt("Service", "ExecStartPre", "-"+execLine(p.Podman, "stop", "-t", strconv.Itoa(staleStopTimeout), name)),
		opt("Service", "ExecStartPre", "-"+execLine(p.Podman, "rm", "-f", name)),
		opt("Service", "ExecStart", execLine(run...)),
		opt("Service", "ExecStartPost", execLine(p.Helper, "health-gate", svc.Name)),
		opt("Service", "ExecStop", execLine(p.Podman, "stop", "-t", seconds(svc.StopTimeout), name)),
		opt("Service", "ExecStopPost", "-"+execLine(p.Podman, "rm", "-f", name)),
		opt("Service", "SuccessExitStatus", sigtermExitStatus),
		opt("Service", "Restart", "on-failure"),
		opt("Service", "RestartSec", seconds(restartDelay)),
		opt("Service", "TimeoutStartSec", seconds(svc.Health.Deadline()+startTimeoutSlack)),
		opt("Service", "TimeoutStopSec", seconds(svc.StopTimeout+stopTimeoutSlack)),
		opt("Service", "StandardOutput", "journal"),
		opt("Service", "StandardError", "journal"),
		opt("Service", "SyslogIdentifier", name),
		opt("Install", "WantedBy", stack.TargetName),
	)
	return u, nil
}

func anySecret(cfg *config.Config, svc *stack.Service) bool {
	for _, e := range svc.Container.Env {
		if k, _ := secretKeyOf(cfg, svc.Name, e.Name, e.Value); k != "" {
			return true
		}
	}
	return false
}

func infraUnit(svc *stack.Service, p Paths) []*unit.UnitOption {
	return []*unit.UnitOption{
		opt("Unit", "Description", specifierSafe(svc.Description)),
		opt("Unit", "Wants", onlineTarget),
		// Ordering only: the OVS and NFS unit names differ between
		// distributions, and setup itself reports a missing OVS clearly.
		opt("Unit", "After", hostPrerequisites),
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
