// Package openstack talks to the running cloud through gophercloud: the
// Keystone registrations every API service makes at start (project, user,
// role, service and endpoints, all idempotent), and the smoke checks.
package openstack

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/domains"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/endpoints"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/projects"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/roles"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/users"
	"golang.org/x/sync/singleflight"

	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
)

// The names every registration shares.
const (
	DefaultDomain  = "default"
	ServiceProject = "service"
	ServiceRole    = "service"
)

// Credentials log in to Keystone.
type Credentials struct {
	AuthURL  string // e.g. http://172.31.0.11:5000/v3
	Username string
	Password string
	Project  string
	Domain   string // of user and project; "Default" when empty
}

// Identity is an admin session on Keystone's v3 API. It talks to AuthURL
// directly rather than through the catalog, so a registration never
// depends on an endpoint that is itself being registered.
type Identity struct {
	client *gophercloud.ServiceClient
	// known, when set, remembers the passwords this tool saw Keystone
	// accept or gave it (see PasswordMemory).
	known PasswordMemory
	// ids holds the roles and projects found or made in this session,
	// by kind and name: every registration asks for the same three, and
	// each request costs Keystone a policy check and a query.
	ids sync.Map
	// finding lets one caller at a time look a key up: the services
	// registered side by side all ask for the service project and roles
	// at once, and each would otherwise find none and create it, and all
	// but one create fail with a conflict that Keystone logs as an ERROR
	// with its traceback.
	finding singleflight.Group
}

// cached is find, remembered for the session once it found or made one;
// callers that ask for the same key meanwhile share the first's answer.
func (id *Identity) cached(key string, find func() (string, error)) (string, error) {
	if v, ok := id.ids.Load(key); ok {
		return v.(string), nil
	}
	v, err, _ := id.finding.Do(key, func() (any, error) {
		got, err := find()
		if err == nil && got != "" {
			id.ids.Store(key, got)
		}
		return got, err
	})
	got, _ := v.(string)
	return got, err
}

// PasswordMemory remembers, per Keystone user ID, the password Keystone
// last accepted from this tool or was given by it. Keystone checks a
// password with bcrypt (0.30 CPU-s here at its default cost, 0.018 at the
// cost keystone.conf sets; a password keeps the cost it was stored with),
// so trying one login per service user on every `up` costs more than the
// rest of the registration. It must be safe for concurrent use, and be
// forgotten with the database it describes (a purge, a restore).
type PasswordMemory interface {
	Holds(userID, password string) bool
	Remember(userID, password string)
}

// RememberPasswords makes ensureUser trust m: a user whose password m
// holds is not logged in as.
func (id *Identity) RememberPasswords(m PasswordMemory) { id.known = m }

// Login authenticates c and returns an identity session.
func Login(ctx context.Context, c Credentials) (*Identity, error) {
	provider, err := openstack.AuthenticatedClient(ctx, authOptions(c))
	if err != nil {
		return nil, fmt.Errorf("log in to Keystone at %s as %s: %w", c.AuthURL, c.Username, err)
	}
	client, err := openstack.NewIdentityV3(provider, gophercloud.EndpointOpts{})
	if err != nil {
		return nil, err
	}
	client.Endpoint = gophercloud.NormalizeURL(c.AuthURL)
	client.ResourceBase = client.Endpoint
	return &Identity{client: client}, nil
}

func authOptions(c Credentials) gophercloud.AuthOptions {
	domain := c.Domain
	if domain == "" {
		domain = "Default"
	}
	return gophercloud.AuthOptions{IdentityEndpoint: c.AuthURL, Username: c.Username, Password: c.Password,
		DomainName: domain, Scope: &gophercloud.AuthScope{ProjectName: c.Project, DomainName: domain}, AllowReauth: true}
}

// Registration is what one API service records in Keystone.
type Registration struct {
	Service     string // service name, e.g. "glance"
	Type        string // service type, e.g. "image"
	Description string
	Region      string
	// Endpoints maps an interface (public, internal, admin) to its URL.
	Endpoints map[gophercloud.Availability]string
	// User is the service user, with the admin role on the service
	// project; none when empty.
	User, Password string
}

// Register makes Keystone hold r, changing only what differs: a second
// call with the same registration makes no write.
func (id *Identity) Register(ctx context.Context, r Registration) error {
	if r.User != "" {
		project, err := id.EnsureProject(ctx, ServiceProject, DefaultDomain)
		if err != nil {
			return err
		}
		user, err := id.EnsureUser(ctx, r.User, r.Password, DefaultDomain)
		if err != nil {
			return err
		}
		// admin, and service: the role a service token must carry (cinder
		// accepts nova's deletion of an attachment only with one, since
		// the fix for CVE-2023-2088; without it, detaching a volume and
		// deleting a server booted from one fail with
		// ConflictNovaUsingAttachment).
		for _, name := range []string{cloudnames.AdminRole, ServiceRole} {
			role, err := id.EnsureRole(ctx, name)
			if err != nil {
				return err
			}
			if err := id.EnsureProjectRole(ctx, role, user, project); err != nil {
				return err
			}
		}
	}
	if r.Type == "" {
		return nil
	}
	svc, err := id.EnsureService(ctx, r.Service, r.Type, r.Description)
	if err != nil {
		return err
	}
	return id.ensureEndpoints(ctx, svc, r.Region, r.Endpoints)
}

// conflict reports a create that lost a race with another container
// creating the same thing; the caller then reads it back.
func conflict(err error) bool { return gophercloud.ResponseCodeIs(err, http.StatusConflict) }

// EnsureProject returns the ID of the named project in domainID, creating it.
func (id *Identity) EnsureProject(ctx context.Context, name, domainID string) (string, error) {
	return id.cached("project/"+domainID+"/"+name, func() (string, error) {
		got, _, err := id.ensureProject(ctx, name, domainID)
		return got, err
	})
}

// ensureProject is EnsureProject, saying whether it created the project.
func (id *Identity) ensureProject(ctx context.Context, name, domainID string) (string, bool, error) {
	find := func() (string, error) {
		pages, err := projects.List(id.client, projects.ListOpts{Name: name, DomainID: domainID}).AllPages(ctx)
		if err != nil {
			return "", fmt.Errorf("list projects: %w", err)
		}
		all, err := projects.ExtractProjects(pages)
		if err != nil || len(all) == 0 {
			return "", err
		}
		return all[0].ID, nil
	}
	return ensureCreated(find, func() (string, error) {
		p, err := projects.Create(ctx, id.client, projects.CreateOpts{Name: name, DomainID: domainID, Description: "HotStack-OS " + name}).Extract()
		if err != nil {
			return "", err
		}
		return p.ID, nil
	}, "project "+name)
}

// EnsureDomain returns the ID of the named domain, creating it.
func (id *Identity) EnsureDomain(ctx context.Context, name, description string) (string, error) {
	find := func() (string, error) {
		pages, err := domains.List(id.client, domains.ListOpts{Name: name}).AllPages(ctx)
		if err != nil {
			return "", fmt.Errorf("list domains: %w", err)
		}
		all, err := domains.ExtractDomains(pages)
		if err != nil || len(all) == 0 {
			return "", err
		}
		return all[0].ID, nil
	}
	return ensure(find, func() (string, error) {
		d, err := domains.Create(ctx, id.client, domains.CreateOpts{Name: name, Description: description}).Extract()
		if err != nil {
			return "", err
		}
		return d.ID, nil
	}, "domain "+name)
}

// EnsureRole returns the ID of the named role, creating it.
func (id *Identity) EnsureRole(ctx context.Context, name string) (string, error) {
	return id.cached("role/"+name, func() (string, error) { return id.ensureRole(ctx, name) })
}

func (id *Identity) ensureRole(ctx context.Context, name string) (string, error) {
	find := func() (string, error) {
		pages, err := roles.List(id.client, roles.ListOpts{Name: name}).AllPages(ctx)
		if err != nil {
			return "", fmt.Errorf("list roles: %w", err)
		}
		all, err := roles.ExtractRoles(pages)
		if err != nil || len(all) == 0 {
			return "", err
		}
		return all[0].ID, nil
	}
	return ensure(find, func() (string, error) {
		r, err := roles.Create(ctx, id.client, roles.CreateOpts{Name: name}).Extract()
		if err != nil {
			return "", err
		}
		return r.ID, nil
	}, "role "+name)
}

// EnsureUser returns the ID of the named user in domainID, creating it with
// password, or setting password when the user exists but cannot log in
// with it (the .env changed). A user whose password already works is not
// written, so the tokens it holds stay valid.
func (id *Identity) EnsureUser(ctx context.Context, name, password, domainID string) (string, error) {
	got, _, err := id.ensureUser(ctx, name, password, domainID)
	return got, err
}

// userOutcome says what ensureUser did.
type userOutcome int

const (
	userExists         userOutcome = iota
	userCreated                    // it did not exist
	userPasswordForced             // it existed with another password
)

// ensureUser is EnsureUser, saying what it did.
func (id *Identity) ensureUser(ctx context.Context, name, password, domainID string) (string, userOutcome, error) {
	find := func() (string, error) {
		pages, err := users.List(id.client, users.ListOpts{Name: name, DomainID: domainID}).AllPages(ctx)
		if err != nil {
			return "", fmt.Errorf("list users: %w", err)
		}
		all, err := users.ExtractUsers(pages)
		if err != nil || len(all) == 0 {
			return "", err
		}
		return all[0].ID, nil
	}
	existing, err := find()
	if err != nil {
		return "", userExists, err
	}
	if existing == "" {
		got, created, err := ensureCreated(find, func() (string, error) {
			u, err := users.Create(ctx, id.client, users.CreateOpts{Name: name, Password: password, DomainID: domainID}).Extract()
			if err != nil {
				return "", err
			}
			return u.ID, nil
		}, "user "+name)
		if created {
			if err == nil {
				id.remember(got, password)
			}
			return got, userCreated, err
		}
		// A concurrent create won: its password may differ.
		existing = got
	}
	if id.known != nil && id.known.Holds(existing, password) {
		return existing, userExists, nil
	}
	if id.passwordWorks(ctx, existing, password) {
		id.remember(existing, password)
		return existing, userExists, nil
	}
	if _, err := users.Update(ctx, id.client, existing, users.UpdateOpts{Password: password}).Extract(); err != nil {
		return "", userExists, fmt.Errorf("set the password of user %s: %w", name, err)
	}
	id.remember(existing, password)
	return existing, userPasswordForced, nil
}

func (id *Identity) remember(userID, password string) {
	if id.known != nil {
		id.known.Remember(userID, password)
	}
}

// passwordWorks tries an unscoped login as userID.
func (id *Identity) passwordWorks(ctx context.Context, userID, password string) bool {
	res := tokens.Create(ctx, id.client, &tokens.AuthOptions{UserID: userID, Password: password})
	return res.Err == nil
}

// EnsureProjectRole grants role to user on project.
func (id *Identity) EnsureProjectRole(ctx context.Context, role, user, project string) error {
	return id.assign(ctx, role, roles.AssignOpts{UserID: user, ProjectID: project})
}

// EnsureDomainRole grants role to user on domain.
func (id *Identity) EnsureDomainRole(ctx context.Context, role, user, domain string) error {
	return id.assign(ctx, role, roles.AssignOpts{UserID: user, DomainID: domain})
}

func (id *Identity) assign(ctx context.Context, role string, opts roles.AssignOpts) error {
	// The PUT is idempotent in Keystone; no read first.
	if err := roles.Assign(ctx, id.client, role, opts).ExtractErr(); err != nil {
		return fmt.Errorf("grant role %s to user %s: %w", role, opts.UserID, err)
	}
	return nil
}

// EnsureService returns the ID of the service with this name and type.
func (id *Identity) EnsureService(ctx context.Context, name, typ, description string) (string, error) {
	find := func() (string, error) {
		pages, err := services.List(id.client, services.ListOpts{ServiceType: typ, Name: name}).AllPages(ctx)
		if err != nil {
			return "", fmt.Errorf("list services: %w", err)
		}
		all, err := services.ExtractServices(pages)
		if err != nil || len(all) == 0 {
			return "", err
		}
		return all[0].ID, nil
	}
	return ensure(find, func() (string, error) {
		enabled := true
		s, err := services.Create(ctx, id.client, services.CreateOpts{Type: typ, Enabled: &enabled,
			Extra: map[string]any{"name": name, "description": description}}).Extract()
		if err != nil {
			return "", err
		}
		return s.ID, nil
	}, "service "+name)
}

// ensureEndpoints makes serviceID's endpoints in region point at their
// URLs (interface to URL): each created when missing, updated when its URL
// changed, from one listing of the service's endpoints.
func (id *Identity) ensureEndpoints(ctx context.Context, serviceID, region string, want map[gophercloud.Availability]string) error {
	pages, err := endpoints.List(id.client, endpoints.ListOpts{ServiceID: serviceID, RegionID: region}).AllPages(ctx)
	if err != nil {
		return fmt.Errorf("list endpoints: %w", err)
	}
	all, err := endpoints.ExtractEndpoints(pages)
	if err != nil {
		return err
	}
	for _, iface := range slices.Sorted(maps.Keys(want)) {
		url := want[iface]
		i := slices.IndexFunc(all, func(e endpoints.Endpoint) bool { return e.Availability == iface })
		if i < 0 {
			if _, err := endpoints.Create(ctx, id.client, endpoints.CreateOpts{ServiceID: serviceID, Availability: iface, Region: region, URL: url}).Extract(); err != nil {
				return fmt.Errorf("create %s endpoint %s: %w", iface, url, err)
			}
			continue
		}
		if e := all[i]; e.URL != url {
			if _, err := endpoints.Update(ctx, id.client, e.ID, endpoints.UpdateOpts{URL: url}).Extract(); err != nil {
				return fmt.Errorf("update %s endpoint %s: %w", iface, e.ID, err)
			}
		}
	}
	return nil
}

// ensure finds, else creates; a create that conflicts with a concurrent
// one reads the winner back.
func ensure(find func() (string, error), create func() (string, error), what string) (string, error) {
	got, _, err := ensureCreated(find, create, what)
	return got, err
}

// ensureCreated is ensure, saying whether this call created the thing.
func ensureCreated(find func() (string, error), create func() (string, error), what string) (string, bool, error) {
	if got, err := find(); err != nil || got != "" {
		return got, false, err
	}
	got, err := create()
	if err == nil {
		return got, true, nil
	}
	if conflict(err) {
		if got, ferr := find(); ferr == nil && got != "" {
			return got, false, nil
		}
	}
	return "", false, fmt.Errorf("create %s: %w", what, err)
}
