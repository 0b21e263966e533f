package app

import (
	"context"
	"fmt"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
	"github.com/hotstack-os/hotstack-os/internal/openstack"
)

// PublicAuthURL is Keystone as a cloud user reaches it: the name resolves
// to BREX_IP (the /etc/hosts entries infra setup keeps), where haproxy
// publishes the APIs.
const PublicAuthURL = "http://keystone." + cloudnames.PublicDomain + ":5000/v3"

// What the data-plane smoke boots: post-setup's test guest and tiny flavor.
const (
	SmokeGuestImage = "hotstack-os-guest"
	SmokeFlavor     = "hotstack.tiny"
)

// Smoke uses the running cloud as a cloud user would (`mage smoke`): one
// line per check with its time, everything it creates deleted again, exit
// 0 only when every check passed.
func (a *App) Smoke(ctx context.Context) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(a.o.Stdout, "smoke: %s as %s, region %s\n", PublicAuthURL, cloudnames.AdminUser, cfg.Get("REGION_NAME"))
	rep, err := openstack.Smoke(ctx, openstack.SmokeOptions{
		Credentials: openstack.Credentials{AuthURL: PublicAuthURL, Username: cloudnames.AdminUser,
			Password: cfg.Get("KEYSTONE_ADMIN_PASSWORD"), Project: cloudnames.AdminProject},
		Region:        cfg.Get("REGION_NAME"),
		Out:           a.o.Stdout,
		GuestImage:    SmokeGuestImage,
		Flavor:        SmokeFlavor,
		PublicNetwork: "public",
		DNSServer:     cfg.Get("BREX_IP"),
		EgressURL:     a.o.SmokeEgressURL,
		SkipLifecycle: !a.o.SmokeLifecycle,
		EgressExpect:  a.o.SmokeEgressExpect,
	})
	if rep != nil {
		fmt.Fprintf(a.o.Stdout, "smoke: %d checks, %d failed, in %s\n", len(rep.Checks), len(rep.Failed()), time.Since(start).Round(100*time.Millisecond))
	}
	return err
}
