package openstack

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
)

// The live tests run the smoke test against a real cloud and skip without
// one. In the lab network namespace:
//
//	HOTSTACK_SMOKE_AUTH_URL=http://10.99.0.1:5000/v3 HOTSTACK_SMOKE_PASSWORD=admin \
//	HOTSTACK_SMOKE_INTERFACE=internal HOTSTACK_SMOKE_TIMEOUT=30s \
//	HOTSTACK_SMOKE_ALLOW_FAIL='compute services up,network agents alive,volume services up' \
//	ip netns exec lab go test ./internal/openstack -run Live -v
//
// HOTSTACK_SMOKE_ALLOW_FAIL lists the checks a partial cloud is known to
// fail; any other failure fails the test.

// liveTestPrefix keeps the tests' resources apart from a real `mage smoke`.
const liveTestPrefix = "hotstack-smoketest"

func liveOptions(t *testing.T) SmokeOptions {
	t.Helper()
	authURL := os.Getenv("HOTSTACK_SMOKE_AUTH_URL")
	if authURL == "" {
		t.Skip("HOTSTACK_SMOKE_AUTH_URL is not set: no cloud to smoke-test")
	}
	o := SmokeOptions{
		Credentials: Credentials{
			AuthURL:  authURL,
			Username: os.Getenv("HOTSTACK_SMOKE_USERNAME"),
			Password: os.Getenv("HOTSTACK_SMOKE_PASSWORD"),
			Project:  os.Getenv("HOTSTACK_SMOKE_PROJECT"),
		},
		Region:    os.Getenv("HOTSTACK_SMOKE_REGION"),
		Interface: gophercloud.Availability(os.Getenv("HOTSTACK_SMOKE_INTERFACE")),
		Prefix:    liveTestPrefix,
	}
	if v := os.Getenv("HOTSTACK_SMOKE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("HOTSTACK_SMOKE_TIMEOUT: %v", err)
		}
		o.Timeout = d
	}
	return o
}

// allowedFailures are the checks HOTSTACK_SMOKE_ALLOW_FAIL names.
func allowedFailures() []string {
	var names []string
	for n := range strings.SplitSeq(os.Getenv("HOTSTACK_SMOKE_ALLOW_FAIL"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// lineWriter logs each report line and hands it to onLine; Smoke writes
// one line per Write.
type lineWriter struct {
	t      *testing.T
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(line)
		if w.onLine != nil {
			w.onLine(line)
		}
	}
	return len(p), nil
}

// liveSession logs in as the smoke test does, for the tests' own setup
// and for checking the cloud afterwards.
func liveSession(t *testing.T, o SmokeOptions) *smoke {
	t.Helper()
	s := newSmoke(o)
	if _, err := s.login(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// assertNoLeftovers fails when anything named like a smoke run remains.
func assertNoLeftovers(t *testing.T, o SmokeOptions) {
	t.Helper()
	left, err := liveSession(t, o).findLeftovers(t.Context(), liveTestPrefix, func(kind) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range left {
		t.Errorf("left behind: %s %s (%s)", r.kind, r.name, r.id)
	}
}

func TestLiveSmoke(t *testing.T) {
	o := liveOptions(t)
	// Plant a leftover the run must find and delete.
	setup := liveSession(t, o)
	if setup.clients.network != nil {
		net, err := networks.Create(t.Context(), setup.clients.network, networks.CreateOpts{Name: liveTestPrefix + "-planted-net"}).Extract()
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("planted leftover network %s", net.ID)
	}

	out := &lineWriter{t: t}
	o.Out = out
	report, err := Smoke(t.Context(), o)
	t.Logf("error: %v", err)

	if got, want := len(report.Checks), 15; got != want {
		t.Errorf("%d report lines, want %d", got, want)
	}
	if out.buf.String() != report.String() {
		t.Errorf("printed lines differ from the report:\n%s\nvs\n%s", out.buf.String(), report)
	}
	allowed := allowedFailures()
	for _, c := range report.Failed() {
		if !slices.Contains(allowed, c.Name) {
			t.Errorf("unexpected failure: %s", c)
		}
	}
	if (err == nil) != (len(report.Failed()) == 0) {
		t.Errorf("error %v with %d failed checks", err, len(report.Failed()))
	}
	leftovers := report.Checks[2]
	if setup.clients.network != nil && (leftovers.Status != Pass || !strings.Contains(leftovers.Detail, "network")) {
		t.Errorf("the planted network was not reported deleted: %s", leftovers)
	}
	if last := report.Checks[len(report.Checks)-1]; last.Name != checkCleanup || last.Status != Pass {
		t.Errorf("cleanup did not pass: %s", last)
	}
	for _, secret := range setup.secrets() {
		if secret != "" && strings.Contains(report.String(), secret) {
			t.Error("the report holds the password or a token")
		}
	}
	assertNoLeftovers(t, o)
}

// TestLiveSmokeInterrupted cancels the run right after the image upload,
// while it creates the network: cleanup must still delete everything.
func TestLiveSmokeInterrupted(t *testing.T) {
	o := liveOptions(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	o.Out = &lineWriter{t: t, onLine: func(line string) {
		if strings.Contains(line, checkImage) {
			time.AfterFunc(300*time.Millisecond, cancel)
		}
	}}
	report, err := Smoke(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("error %v, want one saying the run was interrupted", err)
	}
	if last := report.Checks[len(report.Checks)-1]; last.Name != checkCleanup || last.Status != Pass {
		t.Errorf("cleanup did not pass: %s", last)
	}
	for _, c := range report.Checks {
		if c.Name == checkServer && c.Status != Skip {
			t.Errorf("%s ran after the cancellation: %s", checkServer, c)
		}
	}
	assertNoLeftovers(t, o)
}

// TestLiveResourcePaths drives the checks a partial cloud cannot pass
// (volume, hypervisor, server, console) directly, past their needs: each
// must either pass or fail with the cloud's own reason, and cleanup must
// delete what they created.
func TestLiveResourcePaths(t *testing.T) {
	o := liveOptions(t)
	o.Timeout = min(o.withDefaults().Timeout, time.Minute)
	o.Out = &lineWriter{t: t}
	s := liveSession(t, o)
	ctx := t.Context()
	defer func() {
		s.cleanup(ctx)
		if c := s.report.Checks[len(s.report.Checks)-1]; c.Status != Pass {
			t.Errorf("cleanup: %s", c)
		}
		assertNoLeftovers(t, o)
	}()
	s.run = liveTestPrefix + "-" + randomSuffix()

	s.check(ctx, checkHypervisor, nil, s.hypervisorListed)
	s.check(ctx, checkVolume, nil, s.volumeAvailable)
	s.check(ctx, checkImage, nil, s.imageActive)
	s.check(ctx, checkNetwork, nil, s.networkReady)
	s.check(ctx, checkServer, []string{checkImage, checkNetwork}, s.serverActive)
	s.check(ctx, checkConsole, []string{checkServer}, s.consoleMarker)

	// A failure must be the cloud's verdict on the resource, not an API
	// call the smoke test got wrong.
	verdicts := map[string]string{
		checkHypervisor: "no hypervisor listed",
		checkVolume:     "status error",
		checkServer:     "server ERROR",
		checkConsole:    "no marker",
	}
	for _, c := range s.report.Checks {
		if c.Status == Fail && !strings.Contains(c.Detail, verdicts[c.Name]) {
			t.Errorf("%s failed for a reason other than %q: %s", c.Name, verdicts[c.Name], c.Detail)
		}
	}
	for _, name := range []string{checkImage, checkNetwork} {
		if !s.passed[name] {
			t.Errorf("%s did not pass", name)
		}
	}
}
