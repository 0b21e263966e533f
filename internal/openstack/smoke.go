package openstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"

	"github.com/hotstack-os/hotstack-os/internal/cloudnames"
)

// SmokeOptions say which cloud to smoke-test and how.
type SmokeOptions struct {
	// Credentials of the cloud user; Username and Project default to
	// admin, Domain to Default. The checks of services, agents and
	// hypervisors need the admin role.
	Credentials
	// Region of the endpoints to use; any region when empty.
	Region string
	// Interface of the endpoints to use; public when empty.
	Interface gophercloud.Availability
	// Timeout bounds each wait (a volume becoming available, a server
	// becoming ACTIVE, ...); 5 minutes when zero.
	Timeout time.Duration
	// Out receives one line per check as it completes; nothing is printed
	// when nil (the report holds the same lines).
	Out io.Writer
	// Prefix starts the name of everything the run creates; "hotstack-smoke"
	// when empty. Anything named Prefix-* in the project is taken for a
	// leftover of an earlier run and deleted, so two runs with the same
	// prefix must not overlap.
	Prefix string

	// The data-plane checks' cloud: what post-setup creates (the test
	// guest image, the tiny flavor, the public network) and the DNS
	// server the guests' subnet names (BREX_IP, the cloud's dnsmasq).
	GuestImage, Flavor, PublicNetwork, DNSServer string
	// EgressURL is a page outside the cloud that a guest fetches to prove
	// its traffic leaves through the host; the check is skipped without
	// one. EgressExpect is text the page must contain.
	EgressURL, EgressExpect string
	// SkipLifecycle leaves out the server-lifecycle checks (UEFI boot,
	// volume-backed rebuild, rescue): each boots a guest again.
	SkipLifecycle bool
}

// DefaultSmokePrefix names what a smoke run creates.
const DefaultSmokePrefix = "hotstack-smoke"

func (o SmokeOptions) withDefaults() SmokeOptions {
	if o.Username == "" {
		o.Username = cloudnames.AdminUser
	}
	if o.Project == "" {
		o.Project = cloudnames.AdminProject
	}
	if o.Domain == "" {
		o.Domain = "Default"
	}
	if o.Interface == "" {
		o.Interface = gophercloud.AvailabilityPublic
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Prefix == "" {
		o.Prefix = DefaultSmokePrefix
	}
	if o.PublicNetwork == "" {
		o.PublicNetwork = "public"
	}
	return o
}

// The checks, in the order they run. A check names the ones it needs by
// these names, and is skipped with "needs <name>" when one did not pass.
const (
	checkToken      = "token issued"
	checkCatalog    = "catalog endpoints answer"
	checkLeftovers  = "leftovers of earlier runs"
	checkComputeUp  = "compute services up"
	checkHypervisor = "hypervisor listed"
	checkAgents     = "network agents alive"
	checkVolumeUp   = "volume services up"
	checkVolume     = "volume reaches available"
	checkEngine     = "orchestration engine up"
	checkStack      = "stack reaches CREATE_COMPLETE"
	checkImage      = "image uploaded and active"
	checkNetwork    = "network, subnet and router"
	checkServer     = "server reaches ACTIVE"
	checkConsole    = "guest wrote to its console"
	checkCleanup    = "cleanup"
)

// Polling intervals: fast enough that a check takes little longer than
// the thing it waits for, slow enough not to load a single-host cloud.
const (
	pollInterval    = 2 * time.Second
	agentWait       = time.Minute // agents report within seconds of starting
	consoleWait     = time.Minute // the guest writes the marker as soon as the BIOS hands over
	consoleInterval = 3 * time.Second
	requestTimeout  = time.Minute // one API request, the image upload included
)

// Smoke uses the cloud the way a cloud user would and reports one line per
// check to o.Out. Whatever happens, and even when ctx is cancelled, it
// deletes what it created before returning. The error names the failed
// checks; it is nil when every check passed or was skipped for a reason
// the report gives.
func Smoke(ctx context.Context, o SmokeOptions) (*SmokeReport, error) {
	s := newSmoke(o)
	s.run = s.o.Prefix + "-" + randomSuffix()

	s.check(ctx, checkToken, nil, s.login)
	s.check(ctx, checkCatalog, []string{checkToken}, s.catalogAnswers)
	s.check(ctx, checkLeftovers, []string{checkToken}, s.removeLeftovers)
	s.check(ctx, checkComputeUp, []string{checkToken}, s.computeServicesUp)
	s.check(ctx, checkHypervisor, []string{checkComputeUp}, s.hypervisorListed)
	s.check(ctx, checkAgents, []string{checkToken}, s.networkAgentsAlive)
	s.check(ctx, checkVolumeUp, []string{checkToken}, s.volumeServicesUp)
	s.check(ctx, checkVolume, []string{checkVolumeUp}, s.volumeAvailable)
	s.check(ctx, checkEngine, []string{checkToken}, s.orchestrationEngineUp)
	s.check(ctx, checkStack, []string{checkEngine}, s.stackComplete)
	s.check(ctx, checkImage, []string{checkToken}, s.imageActive)
	s.check(ctx, checkNetwork, []string{checkToken}, s.networkReady)
	s.check(ctx, checkServer, []string{checkHypervisor, checkImage, checkNetwork}, s.serverActive)
	s.check(ctx, checkConsole, []string{checkServer}, s.consoleMarker)
	s.dataPlaneChecks(ctx)
	s.cleanup(ctx)

	err := s.report.Err()
	if ctx.Err() != nil {
		err = errors.Join(err, fmt.Errorf("smoke interrupted: %w", ctx.Err()))
	}
	return s.report, err
}

func newSmoke(o SmokeOptions) *smoke {
	return &smoke{o: o.withDefaults(), report: &SmokeReport{}, passed: map[string]bool{}, attempted: map[kind]bool{}}
}

// smoke is the state of one run.
type smoke struct {
	o      SmokeOptions
	run    string // this run's name prefix, Prefix plus a random suffix
	report *SmokeReport
	passed map[string]bool

	provider  *gophercloud.ProviderClient
	projectID string
	clients   clients
	created   []resource    // in creation order; cleanup deletes them
	attempted map[kind]bool // kinds the run asked to create, answered or not

	imageID, networkID, serverID string // what later checks build on
	volumeID                     string // the control plane's 1 GiB volume
	dp                           dataPlane
}

// clients are the service clients the checks use; nil when the catalog
// has no usable endpoint for the service.
type clients struct {
	compute, network, image, volume, orchestration *gophercloud.ServiceClient
	// unusable says why a client is nil, by service name.
	unusable map[string]error
}

// skipError makes a check SKIP instead of FAIL: it could not run here.
type skipError struct{ reason string }

func (e skipError) Error() string { return e.reason }

// needService is the SKIP of a check whose service has no usable
// endpoint (the catalog check fails for it).
func (cl clients) needService(service string) error {
	if err := cl.unusable[service]; err != nil {
		return skipError{fmt.Sprintf("needs a usable %s endpoint: %s", service, brief(err))}
	}
	return skipError{"needs a usable " + service + " endpoint"}
}

// check runs one check and records its line. fn returns the detail of a
// pass, a skipError, or the failure.
func (s *smoke) check(ctx context.Context, name string, needs []string, fn func(context.Context) (string, error)) {
	start := time.Now()
	c := Check{Name: name}
	switch unmet := s.unmet(needs); {
	case ctx.Err() != nil:
		c.Status, c.Detail = Skip, "interrupted: "+ctx.Err().Error()
	case unmet != "":
		c.Status, c.Detail = Skip, "needs "+unmet
	default:
		c.Status, c.Detail = outcome(ctx, fn)
	}
	c.Duration = time.Since(start)
	s.record(c)
}

func (s *smoke) unmet(needs []string) string {
	for _, n := range needs {
		if !s.passed[n] {
			return n
		}
	}
	return ""
}

func outcome(ctx context.Context, fn func(context.Context) (string, error)) (Status, string) {
	detail, err := fn(ctx)
	var skip skipError
	switch {
	case err == nil:
		return Pass, detail
	case errors.As(err, &skip):
		return Skip, skip.reason
	case ctx.Err() != nil:
		// Cut short by the caller, not failed by the cloud.
		return Skip, "interrupted: " + ctx.Err().Error()
	default:
		return Fail, brief(err)
	}
}

// record adds c to the report and prints it, with secrets blanked.
func (s *smoke) record(c Check) {
	limit := maxDetail
	if c.Status == Fail {
		limit = maxFailDetail
	}
	c.Detail = redact(oneLineMax(c.Detail, limit), s.secrets()...)
	if c.Status == Pass {
		s.passed[c.Name] = true
	}
	s.report.Checks = append(s.report.Checks, c)
	fmt.Fprintln(s.o.Out, c.String())
}

// secrets are the strings no report line may hold. The password is
// blanked unless it equals a name the report shows anyway (admin/admin in
// a lab), where blanking would only garble the line.
func (s *smoke) secrets() []string {
	var secrets []string
	if p := s.o.Password; p != s.o.Username && p != s.o.Project && p != s.o.Domain {
		secrets = append(secrets, p)
	}
	if s.provider != nil {
		secrets = append(secrets, s.provider.Token())
	}
	return secrets
}

// randomSuffix tells this run's resources from another run's.
func randomSuffix() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// name is the name of this run's resource of the given role.
func (s *smoke) name(role string) string { return s.run + "-" + role }

// login gets a project-scoped token and the service clients its catalog
// allows.
func (s *smoke) login(ctx context.Context) (string, error) {
	provider, err := openstack.NewClient(s.o.AuthURL)
	if err != nil {
		return "", fmt.Errorf("the Keystone URL %s: %w", s.o.AuthURL, err)
	}
	// Bound every request: a hung API must fail its check, not stall the
	// run until the caller gives up.
	provider.HTTPClient = http.Client{Timeout: requestTimeout}
	if err := openstack.Authenticate(ctx, provider, authOptions(s.o.Credentials)); err != nil {
		return "", fmt.Errorf("log in to %s as %s: %w", s.o.AuthURL, s.o.Username, err)
	}
	s.provider = provider
	auth, ok := provider.GetAuthResult().(tokens.CreateResult)
	if !ok {
		return "", fmt.Errorf("log in to %s: not a Keystone v3 token", s.o.AuthURL)
	}
	project, err := auth.ExtractProject()
	if err != nil {
		return "", fmt.Errorf("read the token's project: %w", err)
	}
	if project == nil || project.Name != s.o.Project {
		return "", fmt.Errorf("token is not scoped to project %s", s.o.Project)
	}
	s.projectID = project.ID
	s.clients = newClients(provider, gophercloud.EndpointOpts{Region: s.o.Region, Availability: s.o.Interface})
	return fmt.Sprintf("user %s, project %s, domain %s", s.o.Username, project.Name, project.Domain.Name), nil
}

// newClients makes a client for each service the catalog has. Making one
// may GET the endpoint to discover its API version, so an endpoint that
// does not answer is unusable too. The catalog check reports either; the
// checks that need the client are skipped.
func newClients(p *gophercloud.ProviderClient, eo gophercloud.EndpointOpts) clients {
	cl := clients{unusable: map[string]error{}}
	keep := func(service string, c *gophercloud.ServiceClient, err error) *gophercloud.ServiceClient {
		if err != nil {
			cl.unusable[service] = err
			return nil
		}
		return c
	}
	c, err := openstack.NewComputeV2(p, eo)
	cl.compute = keep("compute", c, err)
	c, err = openstack.NewNetworkV2(p, eo)
	cl.network = keep("network", c, err)
	c, err = openstack.NewImageV2(p, eo)
	cl.image = keep("image", c, err)
	c, err = openstack.NewBlockStorageV3(p, eo)
	cl.volume = keep("volume", c, err)
	c, err = openstack.NewOrchestrationV1(p, eo)
	cl.orchestration = keep("orchestration", c, err)
	return cl
}

// catalogAnswers checks the token's catalog against requiredServices and
// GETs every endpoint of the chosen interface.
func (s *smoke) catalogAnswers(ctx context.Context) (string, error) {
	auth := s.provider.GetAuthResult().(tokens.CreateResult) // login checked the type
	catalog, err := auth.ExtractServiceCatalog()
	if err != nil {
		return "", fmt.Errorf("read the catalog: %w", err)
	}
	return verifyCatalog(ctx, catalog.Entries, s.o.Interface, s.o.Region, httpAnswer(&http.Client{}))
}
