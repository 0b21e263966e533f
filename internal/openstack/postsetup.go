package openstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
)

// The names of what post-setup makes, as HotStack (the original
// HotStack-OS's scripts/post-setup.py) expects them.
const (
	HotstackProject   = "hotstack"
	HotstackUser      = "hotstack"
	MemberRole        = "member"
	PublicNetwork     = "public"
	PublicSubnet      = "public-subnet"
	PhysicalNetwork   = "provider" // the ML2 physical network bridged to hot-ex
	PrivateNetwork    = "private"
	PrivateSubnet     = "private-subnet"
	PrivateCIDR       = "192.168.100.0/24"
	RouterName        = "router1"
	KeypairName       = "hotstack"
	AppCredentialName = "hotstack-cred"
	AdminCloud        = "hotstack-os-admin" // clouds.yaml entry of the admin
	UserCloud         = "hotstack-os"       // clouds.yaml entry of the hotstack user
	defaultSecGroup   = "default"
)

// PostSetupOptions say which cloud to make ready for HotStack, and with
// what.
type PostSetupOptions struct {
	// Admin logs in as the cloud admin; Username and Project default to
	// admin, Domain to Default.
	Admin Credentials
	// Region of the endpoints, written to clouds.yaml and cloud-secret.yaml.
	Region string
	// Interface of the endpoints post-setup uses; public when empty.
	Interface gophercloud.Availability
	// UserPassword is the hotstack user's password: set when the user is
	// created, and reset to when the user cannot log in with it.
	UserPassword string
	// ProviderCIDR (PROVIDER_NETWORK) and Gateway (BREX_IP, the host's
	// address on hot-ex) make the public network's subnet; Gateway is also
	// the DNS server of the private subnet (the host's dnsmasq).
	ProviderCIDR, Gateway string
	// PublicKey is the operator's SSH public key, read from PublicKeyPath;
	// when empty the keypair is skipped and KeyHint says how to make one.
	PublicKey, PublicKeyPath string
	KeyHint                  []string
	// CloudSecretFile is where the application credential is written
	// (HotStack's cloud-secret.yaml, mode 0600); CloudsFile is the
	// clouds.yaml to merge the two entries into (mode 0600).
	CloudSecretFile, CloudsFile string
	// Images are uploaded to Glance when no image of their name exists.
	Images []ImageSpec
	// Out receives one line per resource as it is handled; nothing when nil.
	Out io.Writer
	// Known, when set, remembers the hotstack user's password and the
	// application credential's secret once Keystone accepted them, so
	// that a later run need not try them with a login (a bcrypt each in
	// Keystone); see PasswordMemory.
	Known PasswordMemory
}

func (o PostSetupOptions) withDefaults() PostSetupOptions {
	if o.Admin.Username == "" {
		o.Admin.Username = cloudnames.AdminUser
	}
	if o.Admin.Project == "" {
		o.Admin.Project = cloudnames.AdminProject
	}
	if o.Admin.Domain == "" {
		o.Admin.Domain = "Default"
	}
	if o.Interface == "" {
		o.Interface = gophercloud.AvailabilityPublic
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return o
}

// Outcome is what post-setup did to one resource.
type Outcome string

// The outcomes. Exists means the resource already was as wanted: nothing
// was written. Skipped means it could not be made here (no SSH public key)
// and that is not a failure.
const (
	Created Outcome = "created"
	Exists  Outcome = "exists"
	Updated Outcome = "updated"
	Skipped Outcome = "skipped"
)

// Change is one line of the post-setup report.
type Change struct {
	Outcome  Outcome
	Resource string // e.g. "network public"
	Detail   string // what changed, or why; may be empty
}

// String formats c as its report line.
func (c Change) String() string {
	line := fmt.Sprintf("%-7s  %s", c.Outcome, c.Resource)
	if c.Detail != "" {
		line += ": " + c.Detail
	}
	return line
}

// PostSetupReport is every resource post-setup handled, in order.
type PostSetupReport struct {
	Changes []Change
}

// Count is how many resources had outcome o.
func (r *PostSetupReport) Count(o Outcome) int {
	n := 0
	for _, c := range r.Changes {
		if c.Outcome == o {
			n++
		}
	}
	return n
}

// Summary is "N created, M unchanged", with the updated and skipped
// counts when there are any.
func (r *PostSetupReport) Summary() string {
	parts := []string{fmt.Sprintf("%d created", r.Count(Created))}
	if n := r.Count(Updated); n > 0 {
		parts = append(parts, fmt.Sprintf("%d updated", n))
	}
	parts = append(parts, fmt.Sprintf("%d unchanged", r.Count(Exists)))
	if n := r.Count(Skipped); n > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", n))
	}
	return strings.Join(parts, ", ")
}

// Changed reports whether the run wrote anything.
func (r *PostSetupReport) Changed() bool {
	return r.Count(Created)+r.Count(Updated) > 0
}

// PostSetup makes the cloud ready for HotStack users: the hotstack project
// and user, quotas, flavors, networks and router, security group rules,
// keypair, application credential (written to CloudSecretFile), the
// clouds.yaml entries and images. It converges: what exists as wanted is
// left alone, what differs is updated, and a second run writes nothing.
// It stops at the first failure; the error names the resource and the
// API call, and holds no secret.
func PostSetup(ctx context.Context, o PostSetupOptions) (*PostSetupReport, error) {
	p := &postSetup{o: o.withDefaults(), report: &PostSetupReport{}}
	err := p.run(ctx)
	if err != nil {
		// brief shortens API errors; the message stays whole (oneLine
		// would cut a long one), on one line.
		err = errors.New(strings.Join(strings.Fields(redact(brief(err), p.secrets()...)), " "))
	}
	return p.report, err
}

// postSetup is the state of one run.
type postSetup struct {
	o      PostSetupOptions
	report *PostSetupReport

	admin, user *session
	projectID   string // the hotstack project
	clouds      []byte // clouds.yaml as read before any change; nil when absent
	secretFile  *CloudSecret

	publicNetID, privateNetID, privateSubnetID string
	newSecret                                  string // the application credential secret created by this run
}

// session is one login and the service clients of its catalog.
type session struct {
	provider                                  *gophercloud.ProviderClient
	identity, compute, network, volume, image *gophercloud.ServiceClient
	userID, projectID                         string
}

// step is one stage of the run.
type step struct {
	name string
	fn   func(context.Context) error
}

func (p *postSetup) run(ctx context.Context) error {
	steps := []step{
		{"read local files", p.readFiles},
		{"admin login", p.loginAdmin},
		{"compute host", p.ensureComputeReady},
		{"project and user", p.ensureIdentity},
		{"clouds.yaml", p.writeClouds},
		{"quotas", p.ensureQuotas},
		{"flavors", p.ensureFlavors},
		{"networks", p.ensureNetworks},
		{"router", p.ensureRouter},
		{"hotstack login", p.loginUser},
		{"security groups", p.ensureSecurityGroups},
		{"keypair", p.ensureKeypair},
		{"application credential", p.ensureAppCredential},
		{"images", p.ensureImages},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("post-setup interrupted before %s: %w", s.name, err)
		}
		if err := s.fn(ctx); err != nil {
			return err
		}
	}
	return nil
}

// record adds a line to the report and prints it.
func (p *postSetup) record(o Outcome, resource, detail string) {
	c := Change{Outcome: o, Resource: resource, Detail: redact(oneLine(detail), p.secrets()...)}
	p.report.Changes = append(p.report.Changes, c)
	fmt.Fprintln(p.o.Out, c.String())
}

// secrets are the strings no line or error may hold. A password equal to a
// name the output shows anyway (admin/admin in a lab) is not blanked.
func (p *postSetup) secrets() []string {
	var out []string
	shown := []string{p.o.Admin.Username, p.o.Admin.Project, p.o.Admin.Domain, HotstackUser, HotstackProject}
	for _, s := range []string{p.o.Admin.Password, p.o.UserPassword, p.newSecret} {
		if s != "" && !slices.Contains(shown, s) {
			out = append(out, s)
		}
	}
	if p.secretFile != nil && p.secretFile.ApplicationCredentialSecret != "" {
		out = append(out, p.secretFile.ApplicationCredentialSecret)
	}
	for _, s := range []*session{p.admin, p.user} {
		if s != nil && s.provider != nil && s.provider.Token() != "" {
			out = append(out, s.provider.Token())
		}
	}
	return out
}

// Request timing. A request must get its response headers within
// responseTimeout once it is sent; the body of an image upload may take
// as long as it takes.
const (
	responseTimeout = time.Minute
	dialTimeout     = 10 * time.Second
)

// httpClient bounds every request by the time to the response headers,
// not the whole exchange, so a large image upload is not cut while a hung
// API still fails.
func httpClient() http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = responseTimeout
	t.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	return http.Client{Transport: t}
}

// login authenticates c and makes the service clients. The identity
// client talks to c.AuthURL itself, as Login's does; the others use the
// catalog's endpoints of region and iface.
func login(ctx context.Context, c Credentials, region string, iface gophercloud.Availability) (*session, error) {
	provider, err := openstack.NewClient(c.AuthURL)
	if err != nil {
		return nil, fmt.Errorf("the Keystone URL %s: %w", c.AuthURL, err)
	}
	provider.HTTPClient = httpClient()
	if err := openstack.Authenticate(ctx, provider, authOptions(c)); err != nil {
		return nil, fmt.Errorf("log in to %s as %s (project %s): %w", c.AuthURL, c.Username, c.Project, err)
	}
	s := &session{provider: provider}
	auth, ok := provider.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return nil, fmt.Errorf("log in to %s as %s: not a Keystone v3 token", c.AuthURL, c.Username)
	}
	user, err := auth.ExtractUser()
	if err != nil {
		return nil, fmt.Errorf("read the token's user: %w", err)
	}
	project, err := auth.ExtractProject()
	if err != nil {
		return nil, fmt.Errorf("read the token's project: %w", err)
	}
	if project == nil {
		return nil, fmt.Errorf("log in as %s: the token is not scoped to project %s", c.Username, c.Project)
	}
	s.userID, s.projectID = user.ID, project.ID

	eo := gophercloud.EndpointOpts{Region: region, Availability: iface}
	if s.identity, err = openstack.NewIdentityV3(provider, eo); err != nil {
		return nil, fmt.Errorf("identity endpoint: %w", err)
	}
	s.identity.Endpoint = gophercloud.NormalizeURL(c.AuthURL)
	s.identity.ResourceBase = s.identity.Endpoint
	if s.compute, err = openstack.NewComputeV2(provider, eo); err != nil {
		return nil, fmt.Errorf("compute endpoint: %w", err)
	}
	if s.network, err = openstack.NewNetworkV2(provider, eo); err != nil {
		return nil, fmt.Errorf("network endpoint: %w", err)
	}
	if s.volume, err = openstack.NewBlockStorageV3(provider, eo); err != nil {
		return nil, fmt.Errorf("volumev3 endpoint: %w", err)
	}
	if s.image, err = openstack.NewImageV2(provider, eo); err != nil {
		return nil, fmt.Errorf("image endpoint: %w", err)
	}
	return s, nil
}

func (p *postSetup) loginAdmin(ctx context.Context) error {
	s, err := login(ctx, p.o.Admin, p.o.Region, p.o.Interface)
	p.admin = s
	return err
}

// userCredentials are the hotstack user's, on the admin's Keystone.
func (p *postSetup) userCredentials() Credentials {
	return Credentials{AuthURL: p.o.Admin.AuthURL, Username: HotstackUser, Password: p.o.UserPassword,
		Project: HotstackProject, Domain: "Default"}
}

// loginUser logs in as the hotstack user, for what belongs to the user
// (keypair, application credential) or is best made by its project
// (the rules of its default security group).
func (p *postSetup) loginUser(ctx context.Context) error {
	s, err := login(ctx, p.userCredentials(), p.o.Region, p.o.Interface)
	p.user = s
	return err
}
