package host

import (
	"context"
	"errors"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// fakeFirewalld answers firewall-cmd as a running firewalld whose trusted
// zone holds what zone holds, and keeps what --add/--remove do to it.
func fakeFirewalld(running bool, zone map[string]bool) *execx.Fake {
	return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Name != "firewall-cmd" {
			return execx.Result{}, nil
		}
		if !running {
			return execx.Result{}, exec.ErrNotFound
		}
		for _, a := range c.Args {
			switch {
			case a == "--state":
				return execx.Result{Stdout: []byte("running\n")}, nil
			case strings.HasPrefix(a, "--query-"):
				if !zone[strings.TrimPrefix(a, "--query-")] {
					return execx.Result{}, errors.New("exit status 1")
				}
			case strings.HasPrefix(a, "--add-"):
				zone[strings.TrimPrefix(a, "--add-")] = true
			case strings.HasPrefix(a, "--remove-"):
				delete(zone, strings.TrimPrefix(a, "--remove-"))
			}
		}
		return execx.Result{}, nil
	}}
}

// TestFirewalldTrustsTheProviderNetwork: where firewalld runs, setup puts
// hot-ex and the provider network in the trusted zone (runtime only), once;
// cleanup takes them out; without firewalld neither does anything.
func TestFirewalldTrustsTheProviderNetwork(t *testing.T) {
	ctx := context.Background()
	provider := netip.MustParsePrefix("172.31.0.128/25")
	zone := map[string]bool{}
	runner := fakeFirewalld(true, zone)
	h := &Host{Runner: runner}

	add := h.firewalldStep(provider)
	c, err := add.Check(ctx)
	if err != nil || c == nil || !strings.Contains(c.Detail, "hot-ex") {
		t.Fatalf("check: %+v %v", c, err)
	}
	if err := add.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if !zone["interface=hot-ex"] || !zone["source=172.31.0.128/25"] {
		t.Fatalf("zone after setup: %v", zone)
	}
	if slices.ContainsFunc(runner.Calls(), func(c string) bool { return strings.Contains(c, "--permanent") }) {
		t.Error("setup changed firewalld's permanent configuration")
	}
	if c, err := add.Check(ctx); err != nil || c != nil {
		t.Errorf("second check: %+v %v", c, err)
	}

	remove := h.firewalldRemovalStep(provider)
	if err := remove.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if len(zone) != 0 {
		t.Errorf("zone after cleanup: %v", zone)
	}

	none := &Host{Runner: fakeFirewalld(false, nil)}
	if c, err := none.firewalldStep(provider).Check(ctx); err != nil || c != nil {
		t.Errorf("without firewalld: %+v %v", c, err)
	}
	if c, err := none.firewalldRemovalStep(provider).Check(ctx); err != nil || c != nil {
		t.Errorf("cleanup without firewalld: %+v %v", c, err)
	}
}
