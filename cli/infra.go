package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/deploy"
	"github.com/hotstack-os/hotstack-os/infra"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/ui"
)

// InfraSetup sets up the host infrastructure (mage infra:setup).
func InfraSetup() error { return withHost((*infra.Host).Setup) }

// InfraCleanup removes the managed entries; HOTSTACK_PURGE=1 also deletes
// the bridges and the podman network (mage infra:cleanup).
func InfraCleanup() error { return withHost((*infra.Host).Cleanup) }

// withHost runs an infra action on this host, configured from the .env.
func withHost(action func(*infra.Host, context.Context) (infra.Summary, error)) error {
	s := begin()
	defer s.stop()
	cfg, err := s.opts.LoadConfig()
	if err != nil {
		return exit(err)
	}
	_, err = action(newHost(cfg, s.opts, s.log), s.ctx)
	return exit(err)
}

func newHost(cfg *config.Config, o deploy.Options, log zerolog.Logger) *infra.Host {
	return &infra.Host{Config: cfg, Runner: execx.System{}, Log: log, Root: o.Root, Purge: o.Purge}
}

// infraCommand is the helper's `infra setup|cleanup`, run by the infra
// oneshot with HOTSTACK_ENV pointing at the installed, secret-free config.
func infraCommand(ctx context.Context, verb string) error {
	log := ui.NewLogger(os.Stderr, ui.DetectFormat())
	o := deploy.FromEnv(log)
	cfg, err := config.Load(o.EnvFile, o.Stack.Schema(), config.Options{AllowEmptySecrets: true})
	if err != nil {
		return err
	}
	h := newHost(cfg, o, log)
	switch verb {
	case "setup":
		_, err = h.Setup(ctx)
	case "cleanup":
		_, err = h.Cleanup(ctx)
	default:
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("unknown infra command %q\n%s", verb, helperUsage)}
	}
	return err
}
