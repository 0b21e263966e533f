package images

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

func testRecipes(t *testing.T) []Recipe {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	return Recipes(st, stack.MustRelease(stack.DefaultRelease))
}

// TestEveryUnitImageHasARecipe: `mage images`, then install, then up works
// with no .env edits, because every default image is built here.
func TestEveryUnitImageHasARecipe(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	built := map[string]bool{}
	for _, r := range Recipes(st, stack.MustRelease(stack.DefaultRelease)) {
		built[r.Image] = true
	}
	for _, svc := range st.Containers() {
		if !built[svc.Container.ImageFor(stack.DefaultRelease)] {
			t.Errorf("%s runs %s, which no recipe builds", svc.Name, svc.Container.ImageFor(stack.DefaultRelease))
		}
	}
}

// TestEntrypointScripts: every --entrypoint a unit names exists in the
// image and hands over to the helper for that service.
func TestEntrypointScripts(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]map[string]string{}
	for _, r := range Recipes(st, stack.MustRelease(stack.DefaultRelease)) {
		files[r.Image] = map[string]string{}
		for _, f := range r.Files {
			files[r.Image][f.Path] = f.Content
		}
	}
	for _, svc := range st.Containers() {
		c := svc.Container
		if c.Entrypoint == "" {
			continue
		}
		got, ok := files[c.ImageFor(stack.DefaultRelease)][c.Entrypoint]
		if !ok {
			t.Errorf("%s: %s lacks %s", svc.Name, c.Image, c.Entrypoint)
			continue
		}
		if want := units.ContainerHelper + " entrypoint " + svc.Name + ` "$@"`; !strings.Contains(got, want) {
			t.Errorf("%s: %s is %q, want it to exec %q", svc.Name, c.Entrypoint, got, want)
		}
	}
}

// TestHashFollowsRecipeAndParent: changing a package changes that image's
// hash and every image built on it, and nothing else.
func TestHashFollowsRecipeAndParent(t *testing.T) {
	rs := testRecipes(t)
	before := Hashes(rs)
	if again := Hashes(testRecipes(t)); len(again) != len(before) || again["nova"] != before["nova"] {
		t.Fatal("hashes are not stable between two computations")
	}
	for i := range rs {
		if rs[i].Name == "openstack-common" {
			rs[i].Packages = append(rs[i].Packages, "python3-extra")
		}
	}
	after := Hashes(rs)
	for _, r := range rs {
		changed := after[r.Name] != before[r.Name]
		wantChanged := r.Name == "openstack-common" || r.Parent == "openstack-common"
		if changed != wantChanged {
			t.Errorf("%s: hash changed=%v, want %v", r.Name, changed, wantChanged)
		}
	}
}

// fakeStore answers `podman image inspect` as podman does: one line per
// image it has, in the order asked, and exit 125 naming each it lacks.
// An image's labels are "recipe" or "recipe\tpackages".
// Anything else fails (a build would).
func fakeStore(labels map[string]string) *execx.Fake {
	return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Name != "podman" || c.Args[0] != "image" || c.Args[1] != "inspect" {
			return execx.Result{}, errors.New("unexpected " + c.String())
		}
		var out, errOut strings.Builder
		for _, name := range c.Args[4:] {
			label, ok := labels[name]
			if !ok {
				fmt.Fprintf(&errOut, "Error: inspecting object: %s: image not known\n", name)
				continue
			}
			fmt.Fprintf(&out, "sha256-of-%s\t%s\n", name, label)
		}
		res := execx.Result{Stdout: []byte(out.String()), Stderr: []byte(errOut.String())}
		if errOut.Len() > 0 {
			return res, &execx.Error{Cmd: c, ExitCode: 125, Stderr: errOut.String(), Err: errors.New("exit status 125")}
		}
		return res, nil
	}}
}

// TestUpToDateImagesAreKept: with every label matching, a build runs one
// inspect for all the images and builds nothing.
func TestUpToDateImagesAreKept(t *testing.T) {
	rs := testRecipes(t)
	hashes := Hashes(rs)
	labels := map[string]string{}
	for _, r := range rs {
		labels[r.Image] = hashes[r.Name]
	}
	fake := fakeStore(labels)
	b := Builder{Runner: fake, Cache: t.TempDir(), Mirror: "http://deb.debian.org/debian"}
	results, err := b.Build(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Built {
			t.Errorf("%s rebuilt although its label matches", r.Recipe)
		}
	}
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("%d commands for %d up-to-date images, want one inspect of all: %v", n, len(rs), fake.Calls())
	}
}

// TestOnlyMissingKeepsWhatExists: images under the units' names are kept
// whatever their label (stand-ins, an operator's own); only a missing one
// is built, with the parents it lacks.
func TestOnlyMissingKeepsWhatExists(t *testing.T) {
	rs := testRecipes(t)
	labels := map[string]string{}
	for _, r := range rs {
		labels[r.Image] = "" // no label: not ours
	}
	delete(labels, "localhost/hotstack-os_keystone:2025.1")
	delete(labels, "localhost/hotstack-os-openstack-common:2025.1")
	needed, unknown := For(rs, []string{"localhost/hotstack-os_keystone:2025.1", "localhost/hotstack-os-nova:2025.1", "docker.io/library/mariadb:10"})
	var names []string
	for _, r := range needed {
		names = append(names, r.Name)
	}
	if strings.Join(names, " ") != "base openstack-common keystone nova" || strings.Join(unknown, " ") != "docker.io/library/mariadb:10" {
		t.Fatalf("For: needed %v, unknown %v", names, unknown)
	}
	fake := fakeStore(labels)
	b := Builder{Runner: fake, Cache: t.TempDir(), Mirror: "http://deb.debian.org/debian", OnlyMissing: true}
	_, err := b.Build(context.Background(), needed)
	// The first missing image is built (the fake refuses): openstack-common,
	// not base, which exists.
	if os.Geteuid() == 0 && (err == nil || !strings.Contains(err.Error(), "openstack-common")) {
		t.Fatalf("build error %v, want the first missing image, openstack-common, attempted", err)
	}
	calls := fake.Calls()
	if len(calls) < 1 || !strings.HasPrefix(calls[0], "podman image inspect") {
		t.Fatalf("calls: %v", calls)
	}
}

func TestInspectReadsPresentAndMissing(t *testing.T) {
	fake := fakeStore(map[string]string{"a:1": "h1\t3:0123456789abcdef", "c:1": ""})
	got, err := Inspect(context.Background(), fake, []string{"c:1", "b:1", "a:1", "a:1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a:1"] != (Info{ID: "sha256-of-a:1", Recipe: "h1", Packages: "3:0123456789abcdef"}) || got["c:1"].ID != "sha256-of-c:1" {
		t.Fatalf("Inspect = %v", got)
	}
	if calls := fake.Calls(); len(calls) != 1 {
		t.Fatalf("%d calls, want 1: %v", len(calls), calls)
	}
	broken := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 125, Stderr: "Error: database is locked", Err: errors.New("exit status 125")}
	}}
	if _, err := Inspect(context.Background(), broken, []string{"a:1"}); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Fatalf("a failing podman: %v", err)
	}
}

// TestAptErrorNamesThePackage: a package apt cannot fetch is named.
func TestAptErrorNamesThePackage(t *testing.T) {
	for log, pkg := range map[string]string{
		"Reading package lists...\nE: Unable to locate package keystonee\n":                      "keystonee",
		"E: Package 'nova-api' has no installation candidate\n":                                  "nova-api",
		"E: Failed to fetch http://deb.debian.org/debian/pool/main/n/nova/nova-api_26.2_all.deb": "nova-api",
	} {
		err := aptError("podman build", log, errors.New("exit status 100"))
		if !strings.Contains(err.Error(), "package "+pkg+" cannot be installed") {
			t.Errorf("%q: error %q does not name package %s", log, err, pkg)
		}
	}
}

// TestBaseCreatesImageUsersFirst: the base creates every image user with
// its fixed id.
func TestBaseCreatesImageUsersFirst(t *testing.T) {
	setup := baseSetup()
	for _, u := range stack.ImageUsers() {
		if !strings.Contains(setup, "--uid "+strconv.Itoa(u.ID)+" --gid "+strconv.Itoa(u.ID)) || !strings.Contains(setup, " "+u.Name+"\n") {
			t.Errorf("base setup does not create %s with id %d", u.Name, u.ID)
		}
	}
}

// TestBuildNamesThePackageAptCannotFetch builds a layer on the real base
// image with a package Debian does not have: the error names the image and
// the package. It needs root, podman and the base image (`mage images`).
func TestBuildNamesThePackageAptCannotFetch(t *testing.T) {
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("integration test, as root")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed")
	}
	rs := testRecipes(t)
	base := rs[0]
	if err := exec.Command("podman", "image", "exists", base.Image).Run(); err != nil {
		t.Skipf("%s is not built (mage images)", base.Image)
	}
	bad := Recipe{Name: "bad", Image: "localhost/hotstack-os-test-bad:latest", Parent: "base", Packages: []string{"hotstack-os-no-such-package"}}
	// OnlyMissing: the base is used as it is, never rebuilt under its
	// real name because this checkout's base recipe differs from the one
	// it was built from.
	b := Builder{Runner: execx.System{}, Cache: t.TempDir(), Mirror: "http://deb.debian.org/debian", OnlyMissing: true}
	_, err := b.Build(context.Background(), []Recipe{base, bad})
	if err == nil {
		_ = exec.Command("podman", "rmi", bad.Image).Run()
		t.Fatal("a package Debian does not have was installed")
	}
	for _, want := range []string{"image bad (hotstack-os-test-bad:latest)", "package hotstack-os-no-such-package cannot be installed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestOpenStackImagesAreTheServicesWithConfiguration: what `mage test`
// builds of a release other than the default, to validate its files.
func TestOpenStackImagesAreTheServicesWithConfiguration(t *testing.T) {
	got := OpenStackImages(testRecipes(t))
	want := []string{"keystone", "glance", "placement", "neutron", "nova", "cinder", "heat"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want the images of %v", got, want)
	}
	for i, name := range want {
		if !strings.Contains(got[i], name) || !strings.HasSuffix(got[i], ":"+stack.DefaultRelease) {
			t.Errorf("image %d is %s, want %s's of %s", i, got[i], name, stack.DefaultRelease)
		}
	}
}
