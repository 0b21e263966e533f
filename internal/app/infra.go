package app

import (
	"context"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/host"
)

// InfraSetup sets up the host infrastructure (mage infra:setup).
func (a *App) InfraSetup(ctx context.Context) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	_, err = a.host(cfg).Setup(ctx)
	return err
}

// InfraCleanup removes the managed entries; HOTSTACK_PURGE=1 also deletes
// the bridges and the podman network (mage infra:cleanup).
func (a *App) InfraCleanup(ctx context.Context) error {
	cfg, err := a.config()
	if err != nil {
		return err
	}
	_, err = a.host(cfg).Cleanup(ctx)
	return err
}

// host is this machine (or the staging root), configured by cfg.
func (a *App) host(cfg *config.Config) *host.Host {
	return &host.Host{Config: cfg, Runner: a.o.Runner, Log: a.o.Log, Root: a.o.Root, Purge: a.o.Purge, Record: a.o.Paths.RecordFile()}
}
