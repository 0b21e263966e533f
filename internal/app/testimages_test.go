package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
)

// TestTestTargetHandsTheRunnerTheTestImages: the runner TestTarget takes
// (internal/testrun.Run) gets a builder that goes over every release, the
// default one whole and the others' OpenStack images only (and what they
// are built on), from their recipes, asking apt nothing. The fake's store
// holds every image up to date, so nothing is built: what the builder
// inspects is what it would build.
func TestTestTargetHandsTheRunnerTheTestImages(t *testing.T) {
	h := newHarness(t, secretEnv)
	labels := map[string]string{}
	for _, rel := range stack.Releases() {
		rs := images.Recipes(h.o.Stack, rel)
		hashes := images.Hashes(rs)
		for _, r := range rs {
			labels[r.Image] = hashes[r.Name]
		}
	}
	var inspected [][]string
	fake := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Name == "podman" && len(c.Args) > 4 && c.Args[0] == "image" && c.Args[1] == "inspect" {
			inspected = append(inspected, slices.Sorted(slices.Values(c.Args[4:])))
			var out strings.Builder
			for _, ref := range c.Args[4:] {
				fmt.Fprintf(&out, "sha256-%s\t%s\t100:0123456789abcdef\n", ref, labels[ref])
			}
			return execx.Result{Stdout: []byte(out.String())}, nil
		}
		return execx.Result{}, errors.New("refused in this test: " + c.String())
	}}
	h.o.Runner, h.o.ImageUpdates = fake, true // the switch is `mage images`' alone
	h.rebuild()
	ran := false
	target := TestTarget(func(ctx context.Context, buildImages func(context.Context) error) error {
		ran = true
		return buildImages(ctx)
	})
	if err := target(h.app, context.Background()); err != nil || !ran {
		t.Fatalf("ran %v: %v", ran, err)
	}
	var want [][]string
	for _, rel := range stack.Releases() {
		var refs []string
		for _, r := range images.Recipes(h.o.Stack, rel) {
			if rel.Name == stack.DefaultRelease || r.Parent == "openstack-common" || r.Name == "openstack-common" || r.Name == "base" {
				refs = append(refs, r.Image)
			}
		}
		want = append(want, slices.Sorted(slices.Values(refs)))
	}
	if len(want) < 2 {
		t.Fatalf("only %d releases: the test shows nothing", len(want))
	}
	if !slices.EqualFunc(inspected, want, slices.Equal) {
		t.Errorf("images inspected, by release:\n%v\nwant:\n%v", inspected, want)
	}
	for _, c := range fake.Calls() {
		if strings.Contains(c, "apt-get") {
			t.Errorf("asked apt: %s", c)
		}
	}
}
