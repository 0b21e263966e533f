package openstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// serviceKind is a service the smoke test needs in the catalog, under any
// of the types Keystone registrations use for it.
type serviceKind struct {
	name  string
	types []string
}

// requiredServices are the seven services of a HotStack-OS cloud.
func requiredServices() []serviceKind {
	return []serviceKind{
		{"identity", []string{"identity"}},
		{"image", []string{"image"}},
		{"placement", []string{"placement"}},
		{"compute", []string{"compute"}},
		{"network", []string{"network"}},
		{"volume", []string{"volumev3", "block-storage"}},
		{"orchestration", []string{"orchestration"}},
	}
}

// catalogEndpoint is one endpoint of the chosen interface.
type catalogEndpoint struct {
	serviceType, url string
}

// endpointsOf lists the endpoints of iface, in region when region is set,
// in catalog order.
func endpointsOf(catalog []tokens.CatalogEntry, iface gophercloud.Availability, region string) []catalogEndpoint {
	var eps []catalogEndpoint
	for _, entry := range catalog {
		for _, e := range entry.Endpoints {
			if e.Interface != string(iface) || (region != "" && e.Region != region && e.RegionID != region) {
				continue
			}
			eps = append(eps, catalogEndpoint{entry.Type, e.URL})
		}
	}
	return eps
}

// answerFunc GETs url and fails when nothing answers or the server errs.
type answerFunc func(ctx context.Context, url string) error

// verifyCatalog finds every required service among the iface endpoints and
// asks each of those endpoints (required or not) to answer. It returns the
// service types found, or an error naming what is missing and what does
// not answer.
func verifyCatalog(ctx context.Context, catalog []tokens.CatalogEntry, iface gophercloud.Availability, region string, answer answerFunc) (string, error) {
	eps := endpointsOf(catalog, iface, region)
	var found, missing []string
	for _, kind := range requiredServices() {
		i := slices.IndexFunc(eps, func(e catalogEndpoint) bool { return slices.Contains(kind.types, e.serviceType) })
		if i < 0 {
			missing = append(missing, fmt.Sprintf("%s (%s)", kind.name, strings.Join(kind.types, " or ")))
			continue
		}
		found = append(found, eps[i].serviceType)
	}
	silent := probeAll(ctx, eps, answer)
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("no %s endpoint for %s", iface, strings.Join(missing, ", ")))
	}
	if len(silent) > 0 {
		problems = append(problems, "no answer from "+strings.Join(silent, "; "))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return fmt.Sprintf("%s answer on %s", strings.Join(found, " "), iface), nil
}

// probeAll asks every endpoint at once (a dead one costs its timeout, not
// the sum) and returns "type url: error" for each that did not answer, in
// catalog order.
func probeAll(ctx context.Context, eps []catalogEndpoint, answer answerFunc) []string {
	errs := make([]error, len(eps))
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Go(func() { errs[i] = answer(ctx, ep.url) })
	}
	wg.Wait()
	var silent []string
	for i, err := range errs {
		if err != nil {
			silent = append(silent, fmt.Sprintf("%s %s: %s", eps[i].serviceType, eps[i].url, brief(err)))
		}
	}
	return silent
}

// endpointTimeout bounds one "does it answer" GET.
const endpointTimeout = 10 * time.Second

// httpAnswer is the answerFunc for a real cloud: an unauthenticated GET
// (so no token travels outside gophercloud); any status below 500, a 401
// included, proves the service is up and routed.
func httpAnswer(client *http.Client) answerFunc {
	return func(ctx context.Context, url string) error {
		ctx, cancel := context.WithTimeout(ctx, endpointTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
}
