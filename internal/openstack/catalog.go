package openstack

import (
	"context"
	"fmt"

	"github.com/gophercloud/gophercloud/v2"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
)

// API is an API service's Keystone entry: its catalog service and the
// service user it runs as.
type API struct {
	Service, Type, Description string
	Port                       int
	Path                       string // appended to the endpoint URL, e.g. /v2.1
	Public                     string // public host name (before cloudnames.PublicDomain)
	// User is the service user (keystone_authtoken's username), which
	// the others' configurations name too.
	User string
}

// APIs are the stack's API services, by the name of the stack service
// that serves each.
func APIs() map[string]API {
	return map[string]API{
		"glance":         {"glance", "image", "OpenStack Image", 9292, "", "glance", "glance"},
		"placement":      {"placement", "placement", "OpenStack Placement", 8778, "", "placement", "placement"},
		"nova-api":       {"nova", "compute", "OpenStack Compute", 8774, "/v2.1", "nova", "nova"},
		"neutron-server": {"neutron", "network", "OpenStack Networking", 9696, "", "neutron", "neutron"},
		"cinder-api":     {"cinderv3", "volumev3", "OpenStack Block Storage", 8776, "/v3/%(project_id)s", "cinder", "cinder"},
		"heat-api":       {"heat", "orchestration", "OpenStack Orchestration", 8004, "/v1/%(tenant_id)s", "heat", "heat"},
	}
}

// PasswordKey is the .env key of the API's service user's password.
func (a API) PasswordKey() string { return config.ServicePasswordKey(a.User) }

// Registration is a's Keystone entry in region, with the service user's
// password. Every interface names the service by its public name, through
// haproxy on BREX_IP: the host, the containers and the guests all resolve
// it (the hosts entries, dnsmasq). HotStack's playbooks and the tools in
// its guests use the internal interface.
func (a API) Registration(region, password string) Registration {
	url := fmt.Sprintf("http://%s.%s:%d%s", a.Public, cloudnames.PublicDomain, a.Port, a.Path)
	return Registration{Service: a.Service, Type: a.Type, Description: a.Description, Region: region,
		Endpoints: map[gophercloud.Availability]string{
			gophercloud.AvailabilityPublic: url, gophercloud.AvailabilityInternal: url, gophercloud.AvailabilityAdmin: url},
		User: a.User, Password: password}
}

// HeatDomain creates what Heat needs besides its service user: the domain
// of stack users, its admin heat_domain_admin (with Heat's own password,
// heat.conf's stack_domain_admin_password), and the two stack roles.
func (id *Identity) HeatDomain(ctx context.Context, password string) error {
	domain, err := id.EnsureDomain(ctx, "heat", "Owns users and projects created by Heat")
	if err != nil {
		return err
	}
	for _, r := range []string{"heat_stack_owner", "heat_stack_user"} {
		if _, err := id.EnsureRole(ctx, r); err != nil {
			return err
		}
	}
	admin, err := id.EnsureRole(ctx, cloudnames.AdminRole)
	if err != nil {
		return err
	}
	user, err := id.EnsureUser(ctx, "heat_domain_admin", password, domain)
	if err != nil {
		return err
	}
	return id.EnsureDomainRole(ctx, admin, user, domain)
}
