package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/converge"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/host"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/lockfile"
	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/internal/ui"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/tasks"
)

// journalLines is how much of a failed unit's journal the report shows.
const journalLines = 20

// Installed fails unless the installed files are the ones the current
// .env renders (units, installed config, secrets, key, templates).
func (a *App) Installed(ctx context.Context) error {
	r, stale, err := a.stale(ctx)
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		return fmt.Errorf("%d installed file(s) are missing or differ from what %s renders (first: %s); run `mage install` (or `mage up`, which installs them)", len(stale), r.cfg.File, stale[0])
	}
	return nil
}

// stale renders .env and lists the installed files that are missing or
// differ from that rendering, the helper binary when it is missing. It
// builds nothing, so it is cheap enough for every up.
func (a *App) stale(ctx context.Context) (*rendering, []string, error) {
	r, err := a.prepare(ctx)
	if err != nil {
		return nil, nil, err
	}
	changes, err := step.Changes(ctx, install.Steps(a.o.Root, r.files()))
	if err != nil {
		return nil, nil, err
	}
	var out []string
	for _, c := range changes {
		out = append(out, c.Target)
	}
	if _, err := os.Stat(install.Rooted(a.o.Root, a.o.Paths.Helper)); err != nil {
		out = append(out, install.Rooted(a.o.Root, a.o.Paths.Helper))
	}
	return r, out, nil
}

// Up converges the host to what .env says, from any state: it installs
// when the installed files differ from what .env renders, sets up the
// host infrastructure, restarts exactly the running containers whose
// inputs changed (saying why), starts what is not running, each service as
// soon as its dependencies are healthy (HOTSTACK_STRICT_LAYERS=1: layer by
// layer), and leaves hotstack-os.target active. Missing images are built
// before, by ImagesMissing (magefile: mg.Deps). On an unchanged, healthy
// stack it changes and starts nothing.
func (a *App) Up(ctx context.Context) error {
	if err := a.upStack(ctx); err != nil {
		return err
	}
	if !a.o.Live() {
		return nil
	}
	if a.o.PostSetup {
		// The cloud is up; post-setup makes it ready for HotStack
		// (networks, flavors, credentials, the test guest) and waits
		// until it can boot a server.
		if err := a.postSetup(ctx, true); err != nil {
			return err
		}
	}
	a.sayHowToUse()
	return nil
}

// sayHowToUse ends up with what a user types next, and where the
// credentials are: clouds.yaml once post-setup wrote it, else the admin
// login by hand.
func (a *App) sayHowToUse() {
	out := a.o.Stdout
	dir := a.o.Paths.ConfigDir
	if _, err := os.Stat(a.path(CloudsYAML)); err == nil {
		fmt.Fprintf(out, `
The cloud is ready. Use it:
  export OS_CLOUD=hotstack-os      # the hotstack project; hotstack-os-admin is the admin
  openstack server list            # needs python3-openstackclient
  go run mage.go smoke             # proves it: the APIs, then two guests over SSH
Credentials: %s (both clouds), %s/%s (HotStack's), %s/%s.
`, CloudsYAML, dir, cloudSecretFile, dir, userPasswordFile)
		return
	}
	fmt.Fprintf(out, `
The cloud is up (post-setup did not run: `+"`go run mage.go postsetup`"+` writes %s). The admin login:
  export OS_AUTH_URL=%s OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=%s
  export OS_USERNAME=admin OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
  export OS_PASSWORD=...           # KEYSTONE_ADMIN_PASSWORD: in .env, or generated in %s
`, CloudsYAML, PublicAuthURL, a.regionName(), a.o.Paths.GeneratedSecretsFile())
}

// regionName is REGION_NAME from .env, or its default when .env does not
// load.
func (a *App) regionName() string {
	if cfg, err := a.config(); err == nil {
		return cfg.Get("REGION_NAME")
	}
	return "RegionOne"
}

// upStack is up without post-setup: the stack converged and healthy.
func (a *App) upStack(ctx context.Context) error {
	return a.driveStack(ctx, func(ctx context.Context, b *systemd.Backend) error {
		r, stale, err := a.stale(ctx)
		if err != nil {
			return err
		}
		if len(stale) > 0 {
			a.o.Log.Info().Msgf("up: %d installed file(s) differ from what %s renders (first: %s); installing", len(stale), r.cfg.File, stale[0])
			if _, err := a.install(ctx, r); err != nil {
				return err
			}
		} else if a.o.Live() {
			if err := a.enableTarget(ctx); err != nil {
				return err
			}
		}
		h := a.host(r.cfg)
		h.WaitOVS, h.Quiet = host.DefaultOVSWait, true
		sum, err := h.Setup(ctx)
		if err != nil {
			return err
		}
		if err := a.recordRelease(r.cfg, r.release); err != nil {
			return err
		}
		return a.up(ctx, b, r, hostRestarts(sum))
	})
}

// hostRestarts are the restarts a host change calls for: nova-compute
// reads the hypervisor verdict only at its start.
func hostRestarts(sum step.Summary) []converge.Restart {
	for _, name := range sum.Changed {
		if host.IsHypervisorStep(name) {
			return []converge.Restart{{Service: "nova-compute", Reasons: []string{"hypervisor type changed"}}}
		}
	}
	return nil
}

// restarts are the running containers whose inputs changed, with why: the
// one computation behind both up's restarts and plan's list of them.
func (a *App) restarts(r *rendering, obs *systemd.Observation) []converge.Restart {
	return converge.Restarts(a.o.Stack, r.units.Fingerprints, obs.Containers, r.imageIDs())
}

func (a *App) up(ctx context.Context, b *systemd.Backend, r *rendering, extra []converge.Restart) error {
	obs, err := b.Observe(ctx)
	if err != nil {
		return err
	}
	restarts := a.restarts(r, obs)
	for _, x := range extra {
		_, running := obs.Containers[stack.ContainerName(x.Service)]
		if running && !converge.Set(restarts)[x.Service] {
			restarts = append(restarts, x)
		}
	}
	for _, rs := range restarts {
		a.o.Log.Info().Str("service", rs.Service).Strs("reasons", rs.Reasons).Msg("restart " + rs.String())
	}
	progress := ui.NewProgress(a.o.Log, a.o.Stderr, a.o.Stack.Graph(), a.o.LiveView)
	var backend tasks.Backend = b
	if a.o.Live() && a.o.PostSetup {
		// Without post-setup (stand-in tests) nothing is done through the
		// OpenStack APIs, registrations included.
		backend = registering{Backend: b, keystone: a.registrar(r.cfg)}
	}
	e := a.engine(backend, progress)
	e.Known, e.Restart = obs.Up(a.o.Stack), converge.Set(restarts)
	rep, err := e.Up(ctx)
	progress.Close()
	if err != nil {
		return a.report(b, err)
	}
	// The target last: it wants every unit, all active now, so starting it
	// starts and restarts nothing; `systemctl status hotstack-os.target`
	// then tells the truth.
	if obs.Units[stack.TargetName].Active != "active" {
		if err := b.Manager.Start(ctx, stack.TargetName); err != nil {
			return err
		}
	}
	took := rep.End.Sub(rep.Begin).Round(time.Millisecond)
	started, restarted := rep.Started(), rep.Restarted()
	switch {
	case started == 0 && restarted == 0:
		a.o.Log.Info().Msgf("up: all %d services already healthy; nothing started (%s)", len(rep.Nodes), took)
	case started == 0:
		a.o.Log.Info().Msgf("up: %d services healthy, %d restarted, nothing else started, in %s", len(rep.Nodes), restarted, took)
	default:
		a.o.Log.Info().Msgf("up: %d services healthy, %d started, %d restarted, in %s%s", len(rep.Nodes), started, restarted, took, a.criticalPath(rep))
	}
	return nil
}

// criticalPath describes how close the run came to its limit: the slowest
// chain of dependencies, each link timed from its start to healthy. No
// scheduler can beat it, so up / critical path is the engine's overhead.
func (a *App) criticalPath(rep *tasks.Report) string {
	total, chain := a.o.Stack.Graph().CriticalChain(func(n tasks.Node) time.Duration {
		t := rep.Nodes[n.Name]
		if t.Skipped || t.Started.IsZero() || t.Healthy.Before(t.Started) {
			return 0
		}
		return t.Healthy.Sub(t.Started)
	})
	if total <= 0 {
		return ""
	}
	took := rep.End.Sub(rep.Begin)
	return fmt.Sprintf("; critical path %s (%s), up / critical path = %.3f",
		total.Round(time.Millisecond), strings.Join(chain, " -> "), took.Seconds()/total.Seconds())
}

func (a *App) engine(b tasks.Backend, progress *ui.Progress) *tasks.Engine {
	return &tasks.Engine{Graph: a.o.Stack.Graph(), Backend: b, StrictLayers: a.o.StrictLayers, Observer: progress.Observe}
}

// driveStack runs f with the run lock held and the systemd backend
// connected: what up and down share. A second run waits for the first.
func (a *App) driveStack(ctx context.Context, f func(context.Context, *systemd.Backend) error) error {
	lock, err := lockfile.Acquire(ctx, a.o.RunLock, func(holder string) {
		a.o.Log.Info().Msgf("another hotstack-os run holds the stack (%s); waiting for it to finish", holder)
	})
	if err != nil {
		return err
	}
	defer lock.Release()
	b, closeBus, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer closeBus()
	return f(ctx, b)
}

// report turns an engine failure into the operator's report: the service,
// the reason, the last probe output and the unit's journal tail.
func (a *App) report(b tasks.Diagnoser, err error) error {
	var f *tasks.Failure
	if !errors.As(err, &f) {
		return err
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "up failed: service %s: %v", f.Node, f.Err)
	if out := strings.TrimSpace(f.LastOutput); out != "" && !strings.Contains(f.Err.Error(), out) {
		fmt.Fprintf(&msg, "\nlast probe output: %s", out)
	}
	// The run's context may be cancelled already: the tail gets its own.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if tail, jerr := b.Diagnose(ctx, f.Node, journalLines); jerr == nil && tail != "" {
		fmt.Fprintf(&msg, "\n--- last %d journal lines of %s ---\n%s", journalLines, stack.UnitName(f.Node), tail)
	}
	return &exitcode.Error{Code: exitcode.Failure, Err: errors.New(msg.String())}
}
