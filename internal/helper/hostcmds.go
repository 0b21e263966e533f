package helper

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/health"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/host"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// healthGate is `health-gate SERVICE [ADDR:PORT]`: it blocks until the
// service's container answers its health command, failing at once when
// the container has exited. With ADDR:PORT the command runs only once the
// port accepts connections.
func healthGate(ctx context.Context, r *hostRun, args []string) error {
	service, gate := args[0], ""
	if len(args) == 2 {
		gate = args[1]
	}
	svc := r.Stack.Get(service)
	if svc == nil || svc.Oneshot {
		return fmt.Errorf("unknown container service %q", service)
	}
	log := r.Log.With().Str("service", service).Logger()
	probe, what := gateProbe(r.Runner, svc, gate, health.MainPIDFromEnv())
	policy := health.DefaultPolicy(svc.Health.Deadline(), svc.Health.Timeout)
	log.Info().Msgf("waiting up to %s for %s", policy.Deadline, what)
	if err := health.Wait(ctx, probe, policy, nil); err != nil {
		log.Error().Err(err).Msg("health gate failed")
		return err
	}
	log.Info().Msg("healthy")
	return nil
}

// gateProbe is how the gate checks svc, and the words for it: from the
// host where its record allows (stack.HostCheck: no `podman exec`), else
// its health command in the container; behind the port gate when it has
// one (gate, ADDR:PORT).
func gateProbe(r execx.Runner, svc *stack.Service, gate string, mainPID int) (health.Prober, string) {
	name := stack.ContainerName(svc.Name)
	var probe health.Prober = health.ContainerProbe(r, name, svc.Health.Cmd, mainPID)
	what := strings.Join(svc.Health.Cmd, " ")
	switch c := svc.Health.FromHost; {
	case c.HTTPPath != "" && gate != "":
		probe, what = health.HTTP{Addr: gate, Path: c.HTTPPath, AnyStatus: c.AnyStatus}, "an answer to GET http://"+gate+c.HTTPPath
	case c.Listening && gate != "":
		return health.PortGate{Addr: gate, MainPID: mainPID, Prober: health.Listening{}}, gate + " accepting connections"
	case c.ConnectedTo > 0:
		probe = health.Connected{PID: health.ContainerPID(r, name), Port: c.ConnectedTo, MainPID: mainPID}
		what = fmt.Sprintf("a connection from the container to port %d", c.ConnectedTo)
	}
	if gate == "" {
		return probe, what
	}
	return health.PortGate{Addr: gate, MainPID: mainPID, Prober: probe}, gate + " accepting connections, then " + what
}

// infra is `infra setup|cleanup`, run by the infra oneshot with
// HOTSTACK_ENV pointing at the installed, secret-free config.
func infra(ctx context.Context, r *hostRun, args []string) error {
	cfg, err := config.Load(r.EnvFile, r.Stack.Schema(), config.Options{AllowEmptySecrets: true})
	if err != nil {
		return err
	}
	h := &host.Host{Config: cfg, Runner: r.Runner, Log: r.Log, Root: r.Root, Purge: r.Purge, Record: units.DefaultPaths().RecordFile()}
	if args[0] == "setup" {
		_, err = h.Setup(ctx)
	} else {
		_, err = h.Cleanup(ctx)
	}
	return err
}
