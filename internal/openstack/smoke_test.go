package openstack

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestPoll(t *testing.T) {
	// On synctest's clock: the timeouts below pass exactly, however busy
	// the machine.
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		n := 0
		err := poll(ctx, time.Second, time.Millisecond, func(context.Context) (string, bool, error) {
			n++
			return "counting", n == 3, nil
		})
		if err != nil || n != 3 {
			t.Errorf("poll = %v after %d probes, want nil after 3", err, n)
		}

		start := time.Now()
		err = poll(ctx, 30*time.Millisecond, 5*time.Millisecond, func(context.Context) (string, bool, error) {
			return "status creating", false, nil
		})
		if err == nil || err.Error() != "timed out after 30ms: status creating" || time.Since(start) != 30*time.Millisecond {
			t.Errorf("timeout: %v after %s", err, time.Since(start))
		}

		boom := errors.New("status ERROR")
		if err := poll(ctx, time.Second, time.Millisecond, func(context.Context) (string, bool, error) { return "", false, boom }); err != boom {
			t.Errorf("a failing probe: %v", err)
		}

		// A request cut by the wait's deadline reports the last state seen.
		err = poll(ctx, 30*time.Millisecond, time.Millisecond, func(ctx context.Context) (string, bool, error) {
			select {
			case <-ctx.Done():
				return "", false, ctx.Err()
			case <-time.After(5 * time.Millisecond):
				return "status building", false, nil
			}
		})
		if err == nil || err.Error() != "timed out after 30ms: status building" {
			t.Errorf("a probe cut by the deadline: %v", err)
		}

		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := poll(cancelled, time.Second, time.Millisecond, func(context.Context) (string, bool, error) { return "", false, nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("a cancelled wait: %v", err)
		}

		// A stop during the wait ends it with the context's error, not a
		// timeout.
		stopped, stop := context.WithCancel(ctx)
		time.AfterFunc(10*time.Millisecond, stop)
		if err := poll(stopped, time.Second, 3*time.Millisecond, func(context.Context) (string, bool, error) { return "status creating", false, nil }); err != context.Canceled {
			t.Errorf("a wait stopped: %v", err)
		}
	})
}

func TestRolesUp(t *testing.T) {
	units := []unit{
		{"nova-conductor", "old", false}, {"nova-conductor", "c1", true},
		{"nova-scheduler", "c1", false},
		{"OVN Controller Gateway agent", "h1", true},
	}
	up, down := rolesUp(append(binaries("nova-conductor", "nova-scheduler", "nova-compute"), ovnAgents()...), units)
	if want := []string{"nova-conductor@c1", "OVN Controller Gateway agent@h1"}; !slices.Equal(up, want) {
		t.Errorf("up = %q, want %q", up, want)
	}
	want := []string{"nova-scheduler (down on c1)", "nova-compute (not registered)", "OVN metadata agent (not registered)"}
	if !slices.Equal(down, want) {
		t.Errorf("down = %q, want %q", down, want)
	}
}

func TestIsLeftover(t *testing.T) {
	for name, want := range map[string]bool{
		"hotstack-smoke-1a2b3c-net":     true,
		"hotstack-smoke-1a2b3c":         true,
		"hotstack-smoke-":               false,
		"hotstack-smoke":                false,
		"hotstack-smoketest-1a2b3c-net": false, // another prefix
		"my-hotstack-smoke-net":         false,
		"private":                       false,
	} {
		if got := isLeftover(name, "hotstack-smoke"); got != want {
			t.Errorf("isLeftover(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestDeletionOrderAndSummary(t *testing.T) {
	created := []resource{
		{kind: kindStack}, {kind: kindNetwork, id: "n1"}, {kind: kindSubnet}, {kind: kindRouter},
		{kind: kindRouterInterface}, {kind: kindImage}, {kind: kindFlavor}, {kind: kindServer}, {kind: kindNetwork, id: "n2"},
	}
	var kinds []kind
	for _, r := range byDeletionOrder(created) {
		kinds = append(kinds, r.kind)
	}
	want := []kind{kindServer, kindRouterInterface, kindRouter, kindSubnet, kindNetwork, kindNetwork, kindImage, kindFlavor, kindStack}
	if !slices.Equal(kinds, want) {
		t.Errorf("deletion order %v, want %v", kinds, want)
	}
	if got := summarize(created); got != "server, router interface, router, subnet, network ×2, image, flavor, stack" {
		t.Errorf("summarize = %q", got)
	}
}

func TestWithUntracked(t *testing.T) {
	tracked := []resource{{kind: kindNetwork, id: "n1"}, {kind: kindImage, id: "i1"}}
	found := []resource{{kind: kindNetwork, id: "n1"}, {kind: kindServer, id: "s1"}}
	all := withUntracked(tracked, found)
	if len(all) != 3 || all[2].id != "s1" {
		t.Errorf("withUntracked = %v", all)
	}
}

// fakeKeystone refuses every login and, like a careless server, echoes
// the request in its error message.
func fakeKeystone(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		msg := strings.ReplaceAll(string(body), `"`, `'`)
		_, _ = io.WriteString(w, `{"error": {"code": 401, "message": "bad login: `+msg+`"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSmokeWithoutToken(t *testing.T) {
	srv := fakeKeystone(t)
	var out strings.Builder
	o := SmokeOptions{Credentials: Credentials{AuthURL: srv.URL + "/v3", Password: "n0t-For-Print"}, Out: &out}
	report, err := Smoke(t.Context(), o)
	if err == nil {
		t.Fatal("no error though the login failed")
	}
	if got, want := len(report.Checks), 30; got != want {
		t.Fatalf("%d lines, want %d:\n%s", got, want, out.String())
	}
	if out.String() != report.String() {
		t.Errorf("printed\n%s\nreport\n%s", out.String(), report)
	}
	if c := report.Checks[0]; c.Status != Fail || c.Name != checkToken {
		t.Errorf("first line %s, want a failed %s", c, checkToken)
	}
	for _, c := range report.Checks[1 : len(report.Checks)-1] {
		if c.Status != Skip || !strings.HasPrefix(c.Detail, "needs ") {
			t.Errorf("%s, want SKIP needs ...", c)
		}
	}
	if c := report.Checks[len(report.Checks)-1]; c.Status != Pass || c.Detail != "nothing to delete" {
		t.Errorf("last line %s, want cleanup with nothing to delete", c)
	}
	if strings.Contains(out.String(), "n0t-For-Print") {
		t.Errorf("the password is in the output:\n%s", out.String())
	}
	if !strings.Contains(report.Checks[0].Detail, "HTTP 401") {
		t.Errorf("the token failure does not say why: %s", report.Checks[0])
	}
}

func TestSmokeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	report, err := Smoke(ctx, SmokeOptions{Credentials: Credentials{AuthURL: fakeKeystone(t).URL + "/v3"}})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Errorf("error %v, want one saying the run was interrupted", err)
	}
	for _, c := range report.Checks[:len(report.Checks)-1] {
		if c.Status != Skip || !strings.HasPrefix(c.Detail, "interrupted") {
			t.Errorf("%s, want SKIP interrupted", c)
		}
	}
	if c := report.Checks[len(report.Checks)-1]; c.Name != checkCleanup || c.Status != Pass {
		t.Errorf("last line %s, want a passed cleanup", c)
	}
}
