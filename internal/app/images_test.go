package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
)

// imageStore is podman for `mage images`: every image built from its
// current recipe, apt-get's simulation in each answered from sims (by
// image), refresh's error from refreshErr, and every build refused.
func imageStore(h *harness, sims map[string]string, refreshErr error) *execx.Fake {
	rs := images.Recipes(h.o.Stack, stack.MustRelease(stack.DefaultRelease))
	hashes := images.Hashes(rs)
	labels := map[string]string{}
	for _, r := range rs {
		labels[r.Image] = hashes[r.Name]
	}
	return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		switch {
		case c.Name == "podman" && len(c.Args) > 4 && c.Args[0] == "image" && c.Args[1] == "inspect":
			var out strings.Builder
			for _, ref := range c.Args[4:] {
				fmt.Fprintf(&out, "sha256-%s\t%s\t100:0123456789abcdef\n", ref, labels[ref])
			}
			return execx.Result{Stdout: []byte(out.String())}, nil
		case c.Name == "podman" && c.Args[0] == "run" && c.Args[len(c.Args)-1] == "-qq":
			return execx.Result{}, refreshErr
		case c.Name == "podman" && c.Args[0] == "run":
			image := c.Args[slices.Index(c.Args, "-s")-1]
			return execx.Result{Stdout: []byte(sims[image])}, nil
		}
		return execx.Result{}, errors.New("refused in this test: " + c.String())
	}}
}

// TestImagesRebuildsTheImagesWithUpdates: `mage images` says which images
// have updates and how many packages, rebuilds them (the fake refuses the
// build, so nova's stay pending), and records the check for status.
func TestImagesRebuildsTheImagesWithUpdates(t *testing.T) {
	h := newHarness(t, secretEnv)
	nova := "localhost/hotstack-os-nova:2025.1"
	fake := imageStore(h, map[string]string{nova: "Inst libssl3 [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])\n" +
		"Inst python3-nova [2:26.2.2-1~deb12u2] (2:26.2.2-1~deb12u3 Debian-Security:12/stable-security [all])\n"}, nil)
	h.o.Runner, h.o.ImageUpdates = fake, true
	h.rebuild()
	err := h.app.Images(context.Background())
	if err == nil {
		t.Fatal("images: no error, although the fake refuses every build")
	}
	logs := h.logs.String()
	n := len(images.Recipes(h.o.Stack, stack.MustRelease(stack.DefaultRelease)))
	if want := fmt.Sprintf("images: package updates in 1 of %d images (hotstack-os-nova 2), checked in", n); !strings.Contains(logs, want) {
		t.Errorf("logs lack %q:\n%s", want, logs)
	}
	if want := "images: nova              building      " + nova; os.Geteuid() == 0 && (!strings.Contains(logs, want) || !strings.Contains(err.Error(), "image nova")) {
		t.Errorf("nova was not the image rebuilt (%v):\n%s", err, logs)
	}
	rec, rerr := images.ReadUpdateRecord(images.UpdateRecordFile(h.o.ImageCache))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if len(rec.Images) != n || strings.Join(rec.Images.Pending(), " ") != nova || len(rec.Images[nova]) != 2 || rec.Checked.IsZero() {
		t.Errorf("record: %+v", rec)
	}
}

// TestImagesWithoutTheCheck: a failed check is a warning and changes no
// record; HOTSTACK_IMAGE_UPDATES=0 (and `mage test`) asks apt nothing.
func TestImagesWithoutTheCheck(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.o.Runner, h.o.ImageUpdates = imageStore(h, nil, errors.New("Temporary failure resolving 'deb.debian.org'")), true
	h.rebuild()
	if err := h.app.Images(context.Background()); err != nil {
		t.Fatalf("images with a failed check: %v", err)
	}
	if want := "images: checking for package updates failed, so no image is rebuilt for them this time"; !strings.Contains(h.logs.String(), want) {
		t.Errorf("logs lack %q:\n%s", want, h.logs.String())
	}
	if _, err := images.ReadUpdateRecord(images.UpdateRecordFile(h.o.ImageCache)); err == nil {
		t.Error("a failed check was recorded")
	}
	for _, build := range []func(*App) error{
		func(a *App) error { return a.Images(context.Background()) }, // HOTSTACK_IMAGE_UPDATES=0
		func(a *App) error {
			return a.buildImages(context.Background(), stack.MustRelease(stack.DefaultRelease), false, nil)
		}, // mage test
	} {
		fake := imageStore(h, nil, nil)
		h.o.Runner, h.o.ImageUpdates = fake, false
		h.rebuild()
		if err := build(h.app); err != nil {
			t.Fatal(err)
		}
		for _, c := range fake.Calls() {
			if strings.Contains(c, "apt-get") {
				t.Errorf("asked apt without the check: %s", c)
			}
		}
	}
}
