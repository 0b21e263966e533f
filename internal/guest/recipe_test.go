package guest_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
)

func recipes(t *testing.T) (*stack.Stack, []images.Recipe) {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	return st, images.Recipes(st, stack.MustRelease(stack.DefaultRelease))
}

// TestGuestRecipe: `mage images` (every recipe) builds the guest on the
// base, running BuildScript after installing Packages; `mage up`, which
// builds only what the units run, does not.
func TestGuestRecipe(t *testing.T) {
	st, rs := recipes(t)
	i := slices.IndexFunc(rs, func(r images.Recipe) bool { return r.Name == "guest" })
	if i < 0 {
		t.Fatal("no guest recipe")
	}
	r := rs[i]
	if r.Image != guest.Image(stack.DefaultRelease) || r.Parent != "base" {
		t.Errorf("guest recipe builds %s on %q, want %s on base", r.Image, r.Parent, guest.Image(stack.DefaultRelease))
	}
	if !slices.Equal(r.Packages, guest.Packages()) {
		t.Errorf("packages %v, want %v", r.Packages, guest.Packages())
	}
	if len(r.Files) != 1 || r.Files[0].Path != guest.BuildScriptPath || r.Files[0].Content != guest.BuildScript() || r.Files[0].Mode != 0o755 {
		t.Errorf("files: want only the build script at %s, executable", guest.BuildScriptPath)
	}
	if !slices.Contains(r.Post, guest.BuildScriptPath) {
		t.Errorf("post %v does not run %s", r.Post, guest.BuildScriptPath)
	}
	if len(r.Config) != 0 {
		t.Errorf("config %v: the guest image is never run by a unit", r.Config)
	}

	var unitImages []string
	for _, svc := range st.Containers() {
		unitImages = append(unitImages, svc.Container.ImageFor(stack.DefaultRelease))
	}
	needed, _ := images.For(rs, unitImages)
	if slices.ContainsFunc(needed, func(r images.Recipe) bool { return r.Name == "guest" }) {
		t.Error("the units' images pull in the guest: mage up would build it")
	}
}

// TestGuestHash: the guest's hash is stable, follows its build script,
// and changing it rebuilds nothing else.
func TestGuestHash(t *testing.T) {
	_, rs := recipes(t)
	before := images.Hashes(rs)
	_, again := recipes(t)
	if images.Hashes(again)["guest"] != before["guest"] {
		t.Fatal("the guest's hash differs between two computations: it would rebuild every time")
	}
	for i := range rs {
		if rs[i].Name == "guest" {
			rs[i].Files[0].Content = strings.Replace(rs[i].Files[0].Content, "virtio_net", "virtio_net e1000", 1)
		}
	}
	after := images.Hashes(rs)
	for name := range before {
		if changed := after[name] != before[name]; changed != (name == "guest") {
			t.Errorf("%s: hash changed=%v", name, changed)
		}
	}
}
