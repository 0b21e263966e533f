package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hotstack-os/hotstack-os/health"
	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/ui"
)

const helperUsage = `usage: hotstack-os COMMAND
  health-gate SERVICE   wait until SERVICE's container is healthy (unit ExecStartPost)
  infra setup|cleanup   set up or clean up the host infrastructure (infra oneshot)`

// Helper runs the helper binary's command line.
func Helper(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s", helperUsage)}
	}
	switch args[0] {
	case "health-gate":
		if len(args) != 2 {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s", helperUsage)}
		}
		return exit(HealthGate(ctx, args[1]))
	case "entrypoint":
		if len(args) < 2 {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s", helperUsage)}
		}
		if code := entrypoint.Run(ctx, args[1], args[2:]); code != 0 {
			return &ExitError{Code: code, Err: fmt.Errorf("%s: exit %d", args[1], code)}
		}
		return nil
	case "mount-nfs":
		return exit(entrypoint.MountNFS(args[1:]))
	case "infra":
		if len(args) != 2 {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s", helperUsage)}
		}
		return exit(infraCommand(ctx, args[1]))
	default:
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("unknown command %q\n%s", args[0], helperUsage)}
	}
}

// HealthGate blocks until service's container answers its health command,
// failing at once when the container has exited.
func HealthGate(ctx context.Context, service string) error {
	st, err := stack.Default()
	if err != nil {
		return err
	}
	svc := st.Get(service)
	if svc == nil || svc.Oneshot {
		return fmt.Errorf("unknown container service %q", service)
	}
	log := ui.NewLogger(os.Stderr, ui.DetectFormat()).With().Str("service", service).Logger()
	probe := health.ContainerProbe(execx.System{}, stack.ContainerName(service), svc.Health.Cmd, health.MainPIDFromEnv())
	policy := health.DefaultPolicy(svc.Health.Deadline(), svc.Health.Timeout)
	log.Info().Msgf("waiting up to %s for %s", policy.Deadline, strings.Join(svc.Health.Cmd, " "))
	if err := health.Wait(ctx, probe, policy, nil); err != nil {
		log.Error().Err(err).Msg("health gate failed")
		return err
	}
	log.Info().Msg("healthy")
	return nil
}
