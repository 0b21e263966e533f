package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/health"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/stack"
)

const helperUsage = `usage: hotstack-os COMMAND
  health-gate SERVICE [ADDR:PORT]
                        wait until SERVICE's container is healthy (unit ExecStartPost);
                        with ADDR:PORT, probe inside only once the port accepts connections
  infra setup|cleanup   set up or clean up the host infrastructure (infra oneshot)
  entrypoint SERVICE    PID 1 of a HotStack-OS container (run inside the container)
  mount-nfs SHARE DIR   the containers' mount.nfs: a bind mount of the exported directory`

// Helper runs the helper binary's command line (the units call it).
func (a *App) Helper(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return exitcode.UsageError(helperUsage)
	}
	switch args[0] {
	case "health-gate":
		if len(args) != 2 && len(args) != 3 {
			return exitcode.UsageError(helperUsage)
		}
		gate := ""
		if len(args) == 3 {
			gate = args[2]
		}
		return a.HealthGate(ctx, args[1], gate)
	case "infra":
		if len(args) != 2 {
			return exitcode.UsageError(helperUsage)
		}
		return a.infraCommand(ctx, args[1])
	default:
		return exitcode.UsageError(fmt.Sprintf("unknown command %q\n%s", args[0], helperUsage))
	}
}

// HealthGate blocks until service's container answers its health command,
// failing at once when the container has exited. With gate (ADDR:PORT) the
// command runs only once the port accepts connections.
func (a *App) HealthGate(ctx context.Context, service, gate string) error {
	svc := a.o.Stack.Get(service)
	if svc == nil || svc.Oneshot {
		return fmt.Errorf("unknown container service %q", service)
	}
	log := a.o.Log.With().Str("service", service).Logger()
	var probe health.Prober = health.ContainerProbe(a.o.Runner, stack.ContainerName(service), svc.Health.Cmd, health.MainPIDFromEnv())
	policy := health.DefaultPolicy(svc.Health.Deadline(), svc.Health.Timeout)
	what := strings.Join(svc.Health.Cmd, " ")
	if gate != "" {
		probe = health.PortGate{Addr: gate, MainPID: health.MainPIDFromEnv(), Prober: probe}
		what = gate + " accepting connections, then " + what
	}
	log.Info().Msgf("waiting up to %s for %s", policy.Deadline, what)
	if err := health.Wait(ctx, probe, policy, nil); err != nil {
		log.Error().Err(err).Msg("health gate failed")
		return err
	}
	log.Info().Msg("healthy")
	return nil
}

// infraCommand is the helper's `infra setup|cleanup`, run by the infra
// oneshot with HOTSTACK_ENV pointing at the installed, secret-free config.
func (a *App) infraCommand(ctx context.Context, verb string) error {
	cfg, err := config.Load(a.o.EnvFile, a.o.Stack.Schema(), config.Options{AllowEmptySecrets: true})
	if err != nil {
		return err
	}
	h := a.host(cfg)
	switch verb {
	case "setup":
		_, err = h.Setup(ctx)
	case "cleanup":
		_, err = h.Cleanup(ctx)
	default:
		return exitcode.UsageError(fmt.Sprintf("unknown infra command %q\n%s", verb, helperUsage))
	}
	return err
}
