package openstack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/tokens"
)

// fakeCatalog has each service with an internal and a public endpoint in
// RegionOne, and an internal one in RegionTwo for compute.
func fakeCatalog(types ...string) []tokens.CatalogEntry {
	var catalog []tokens.CatalogEntry
	for _, typ := range types {
		e := tokens.CatalogEntry{Type: typ, Endpoints: []tokens.Endpoint{
			{Interface: "internal", Region: "RegionOne", URL: "http://10.0.0.1/" + typ},
			{Interface: "public", Region: "RegionOne", URL: "http://public.example/" + typ},
		}}
		if typ == "compute" {
			e.Endpoints = append(e.Endpoints, tokens.Endpoint{Interface: "internal", Region: "RegionTwo", URL: "http://10.0.0.2/compute"})
		}
		catalog = append(catalog, e)
	}
	return catalog
}

func TestVerifyCatalogAllPresent(t *testing.T) {
	catalog := fakeCatalog("identity", "image", "placement", "compute", "network", "volumev3", "orchestration", "object-store")
	detail, err := verifyCatalog(t.Context(), catalog, gophercloud.AvailabilityInternal, "RegionOne", func(context.Context, string) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := "identity image placement compute network volumev3 orchestration answer on internal"; detail != want {
		t.Errorf("detail %q, want %q", detail, want)
	}
}

func TestVerifyCatalogAcceptsBlockStorage(t *testing.T) {
	catalog := fakeCatalog("identity", "image", "placement", "compute", "network", "block-storage", "orchestration")
	detail, err := verifyCatalog(t.Context(), catalog, gophercloud.AvailabilityPublic, "", func(context.Context, string) error { return nil })
	if err != nil || !strings.Contains(detail, "block-storage") {
		t.Errorf("detail %q, error %v", detail, err)
	}
}

func TestVerifyCatalogNamesMissingAndSilent(t *testing.T) {
	catalog := fakeCatalog("identity", "image", "placement", "compute", "network", "volume")
	_, err := verifyCatalog(t.Context(), catalog, gophercloud.AvailabilityInternal, "RegionOne", func(_ context.Context, url string) error {
		if url == "http://10.0.0.1/network" {
			return errors.New("connection refused")
		}
		return nil
	})
	if err == nil {
		t.Fatal("no error for a catalog without orchestration and volumev3")
	}
	want := "no internal endpoint for volume (volumev3 or block-storage), orchestration (orchestration); " +
		"no answer from network http://10.0.0.1/network: connection refused"
	if err.Error() != want {
		t.Errorf("error\n%q, want\n%q", err, want)
	}
}

// Only the chosen interface and region are asked, each endpoint once.
func TestVerifyCatalogProbesChosenEndpoints(t *testing.T) {
	catalog := fakeCatalog("identity", "image", "placement", "compute", "network", "volumev3", "orchestration")
	urls := make(chan string, 100)
	_, err := verifyCatalog(t.Context(), catalog, gophercloud.AvailabilityInternal, "RegionOne", func(_ context.Context, url string) error {
		urls <- url
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	close(urls)
	seen := map[string]bool{}
	for u := range urls {
		if !strings.HasPrefix(u, "http://10.0.0.1/") || seen[u] {
			t.Errorf("probed %s", u)
		}
		seen[u] = true
	}
	if len(seen) != 7 {
		t.Errorf("probed %d endpoints, want 7", len(seen))
	}
}

func TestHTTPAnswer(t *testing.T) {
	status := http.StatusUnauthorized
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != "" {
			t.Error("the probe sent a token")
		}
		w.WriteHeader(status)
	}))
	answer := httpAnswer(srv.Client())
	if err := answer(t.Context(), srv.URL); err != nil {
		t.Errorf("a 401 is an answer: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := answer(t.Context(), srv.URL); err == nil || err.Error() != "HTTP 503" {
		t.Errorf("a 503: %v", err)
	}
	srv.Close()
	if err := answer(t.Context(), srv.URL); err == nil {
		t.Error("a closed port answered")
	}
}
