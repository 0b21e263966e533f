package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
	"github.com/hotstack-os/hotstack-os/internal/openstack"
	"github.com/hotstack-os/hotstack-os/internal/retry"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
)

// registering is the engine's backend with one addition: once an API
// service's start or restart is healthy, up makes its Keystone entry (its
// service user and password, catalog entry and endpoints; for Heat its
// domain) as the admin, from the host, before the services that depend on
// it start. So no long-running container holds the admin password, and a
// changed service password reaches Keystone exactly when the service that
// carries it restarts. An unchanged, running service is not touched:
// Keystone's database keeps its entry.
type registering struct {
	*systemd.Backend
	keystone *registrar
}

func (b registering) Start(ctx context.Context, node string) error {
	if err := b.Backend.Start(ctx, node); err != nil {
		return err
	}
	return b.keystone.register(ctx, node)
}

func (b registering) Restart(ctx context.Context, node string) error {
	if err := b.Backend.Restart(ctx, node); err != nil {
		return err
	}
	return b.keystone.register(ctx, node)
}

// registrar logs in once, as the admin, and registers API services.
type registrar struct {
	cfg  *config.Config
	log  func(format string, a ...any)
	wait time.Duration // how long Keystone may take to accept the admin

	// known remembers service users' passwords across runs (nil: none).
	known *keystonePasswords

	mu sync.Mutex
	id *openstack.Identity
}

// registrar returns the app's registrar for cfg.
func (a *App) registrar(cfg *config.Config) *registrar {
	return &registrar{cfg: cfg, wait: registrationWait, known: a.keystonePasswords(cfg, true),
		log: func(format string, v ...any) { a.o.Log.Info().Msgf(format, v...) }}
}

// registerAll makes every API service's Keystone entry, in name order.
func (a *App) registerAll(ctx context.Context, cfg *config.Config) error {
	r := a.registrar(cfg)
	r.known = a.keystonePasswords(cfg, false) // check every password, remember what works
	for _, node := range slices.Sorted(maps.Keys(openstack.APIs())) {
		if err := r.register(ctx, node); err != nil {
			return err
		}
	}
	return nil
}

// registrationWait is how long a registration retries: Keystone answers
// once healthy, but a restarted one may still be loading its keys.
const registrationWait = 2 * time.Minute

func (r *registrar) register(ctx context.Context, node string) error {
	api, ok := openstack.APIs()[node]
	if !ok {
		return nil
	}
	start := time.Now()
	// A registration under way when the deadline passes is let finish (it
	// gets ctx, not the loop's context): it may be the one that succeeds.
	err := retry.Do(ctx, retry.Growing(500*time.Millisecond, 5*time.Second, r.wait), func(context.Context) error {
		id, err := r.identity(ctx)
		if err != nil {
			return err
		}
		if err := id.Register(ctx, api.Registration(r.cfg.Get("REGION_NAME"), r.cfg.Get(api.PasswordKey()))); err != nil {
			r.forget()
			return err
		}
		if node == "heat-api" {
			return id.HeatDomain(ctx, r.cfg.Get(api.PasswordKey()))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("register %s in Keystone (as the admin, for %s): %w", api.Service, time.Since(start).Round(100*time.Millisecond), err)
	}
	r.log("registered in Keystone: service %s (%s), user %s, in %s", api.Service, api.Type, api.User, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// identity is the admin's Keystone client, logging in on first use.
func (r *registrar) identity(ctx context.Context) (*openstack.Identity, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.id != nil {
		return r.id, nil
	}
	id, err := openstack.Login(ctx, openstack.Credentials{AuthURL: PublicAuthURL, Username: cloudnames.AdminUser,
		Password: r.cfg.Get("KEYSTONE_ADMIN_PASSWORD"), Project: cloudnames.AdminProject})
	if err != nil {
		return nil, err
	}
	if r.known != nil {
		id.RememberPasswords(r.known)
	}
	r.id = id
	return id, nil
}

// forget drops the client after a failure, so the next try logs in anew.
func (r *registrar) forget() {
	r.mu.Lock()
	r.id = nil
	r.mu.Unlock()
}
