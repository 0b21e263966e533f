package images

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// testList is a package list as PackagesFile holds it.
const testList = "adduser=3.134\napt=2.6.2\n"

// TestPackagesLabel: the label counts the packages and hashes the list,
// so any version change changes it; an empty list is an error, not a
// label.
func TestPackagesLabel(t *testing.T) {
	got, err := packagesLabel(testList)
	if err != nil {
		t.Fatal(err)
	}
	count, sum, ok := strings.Cut(got, ":")
	if !ok || count != "2" || len(sum) != 16 {
		t.Fatalf("label %q, want 2:<16 hex digits>", got)
	}
	if other, _ := packagesLabel("adduser=3.134\napt=2.6.3\n"); other == got {
		t.Errorf("a new apt version kept the label %q", got)
	}
	if _, err := packagesLabel(""); err == nil {
		t.Error("an empty package list made a label")
	}
}

// TestBuildsListTheInstalledPackages: the base's setup and every layer's
// RUN write PackagesFile; the layer also leaves it in the build
// directory for its label.
func TestBuildsListTheInstalledPackages(t *testing.T) {
	if !strings.HasSuffix(baseSetup(), listPackages+"\n") {
		t.Errorf("the base setup does not end by listing the packages:\n%s", baseSetup())
	}
	for _, r := range testRecipes(t)[1:] {
		if !strings.HasSuffix(runScript(r), listPackages+"\ncp "+PackagesFile+" /hotstack-build/\n") {
			t.Errorf("%s: the RUN does not end by listing the packages", r.Name)
		}
	}
}

// TestLayersCompilePythonOnceAfterTheInstall: py3compile is diverted
// only around apt's install, and the layer's byte-code is compiled after
// the recipe's own steps, which may add modules too.
func TestLayersCompilePythonOnceAfterTheInstall(t *testing.T) {
	for _, r := range testRecipes(t)[1:] {
		script := runScript(r)
		at := func(s string) int { return strings.Index(script, s) }
		install, post := at("apt-get install "), at(compilePython)
		if len(r.Post) > 0 {
			post = at(r.Post[len(r.Post)-1])
		}
		if !(at(divertPyCompile) >= 0 && at(divertPyCompile) < install && install < at(restorePyCompile) &&
			at(restorePyCompile) <= post && post <= at(compilePython)) {
			t.Errorf("%s: want divert, install, restore, post steps, compile in that order:\n%s", r.Name, script)
		}
	}
}

// buildFake answers a layer build as podman would: the RUN leaves the
// package list in the build directory and --iidfile gets the image ID.
// It records the second build's Containerfile.
func buildFake(t *testing.T, containerfiles *[]string) *execx.Fake {
	return &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Name != "podman" || c.Args[0] != "build" {
			return execx.Result{}, errors.New("unexpected " + c.String())
		}
		dir := c.Args[len(c.Args)-1]
		if i := slices.Index(c.Args, "--iidfile"); i >= 0 {
			must(t, os.WriteFile(filepath.Join(dir, "packages.txt"), []byte(testList), 0o644))
			must(t, os.WriteFile(c.Args[i+1], []byte("sha256:1d2e3f\n"), 0o644))
			return execx.Result{}, nil
		}
		data, err := os.ReadFile(c.Args[slices.Index(c.Args, "--file")+1])
		must(t, err)
		*containerfiles = append(*containerfiles, string(data))
		return execx.Result{}, nil
	}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayerIsLabelledWithItsPackages: a layer is built untagged, then a
// build FROM it with no RUN adds both labels and the tag, so the tagged
// image always carries the record of its packages.
func TestLayerIsLabelledWithItsPackages(t *testing.T) {
	rs := testRecipes(t)
	nova := byName(rs)["nova"]
	var containerfiles []string
	fake := buildFake(t, &containerfiles)
	b := Builder{Runner: fake, Cache: t.TempDir()}
	if err := b.buildLayer(context.Background(), nova, byName(rs)["openstack-common"], "h-nova"); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d commands, want the layer build and the labelling build: %v", len(calls), calls)
	}
	if strings.Contains(calls[0], "--tag") || strings.Contains(calls[0], "--label") || !strings.Contains(calls[0], "--layers=false") {
		t.Errorf("the layer build is tagged or labelled, or may reuse podman's cache: %s", calls[0])
	}
	want, _ := packagesLabel(testList)
	for _, arg := range []string{"--label " + Label + "=h-nova", "--label " + PackagesLabel + "=" + want, "--tag " + nova.Image} {
		if !strings.Contains(calls[1], arg) {
			t.Errorf("the labelling build lacks %q: %s", arg, calls[1])
		}
	}
	if len(containerfiles) != 1 || containerfiles[0] != "FROM 1d2e3f\n" {
		t.Errorf("labelling Containerfile %q, want FROM the layer's bare ID", containerfiles)
	}
}

// TestBaseIsLabelledWithItsPackages: mmdebstrap copies the list out and
// the import labels the base with it.
func TestBaseIsLabelledWithItsPackages(t *testing.T) {
	fake := &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if c.Name == "mmdebstrap" {
			for _, a := range c.Args {
				if dir, ok := strings.CutPrefix(a, "--customize-hook=copy-out "+PackagesFile+" "); ok {
					must(t, os.WriteFile(filepath.Join(dir, "packages.txt"), []byte(testList), 0o644))
				}
			}
		}
		return execx.Result{}, nil
	}}
	b := Builder{Runner: fake, Cache: t.TempDir()}
	if err := b.buildBase(context.Background(), testRecipes(t)[0], "h-base"); err != nil {
		t.Fatal(err)
	}
	want, _ := packagesLabel(testList)
	if calls := fake.Calls(); len(calls) != 2 || !strings.Contains(calls[1], "--change LABEL "+PackagesLabel+"="+want+" ") {
		t.Fatalf("calls %v, want the import labelled %s=%s", calls, PackagesLabel, want)
	}
}

// currentLabels labels every image with its recipe's hash.
func currentLabels(rs []Recipe) map[string]string {
	hashes := Hashes(rs)
	labels := map[string]string{}
	for _, r := range rs {
		labels[r.Image] = hashes[r.Name] + "\t100:0123456789abcdef"
	}
	return labels
}

// TestUpdatesRebuildThoseImagesAndTheirChildren: an image with package
// updates is rebuilt, and so is every image built on it (a layer on the
// old parent keeps the old packages); nothing else is.
func TestUpdatesRebuildThoseImagesAndTheirChildren(t *testing.T) {
	rs := testRecipes(t)
	have, err := Inspect(context.Background(), fakeStore(currentLabels(rs)), imageNames(rs))
	if err != nil {
		t.Fatal(err)
	}
	names := byName(rs)
	b := Builder{Updates: Updates{
		names["openstack-common"].Image: {"libssl3", "python3-urllib3"},
		names["dnsmasq"].Image:          {"dnsmasq-base"},
		names["haproxy"].Image:          {},
	}}
	reasons := b.plan(rs, have, Hashes(rs))
	for _, r := range rs {
		want := ""
		switch {
		case r.Name == "openstack-common":
			want = "2 package updates"
		case r.Name == "dnsmasq":
			want = "1 package updates"
		case r.Parent == "openstack-common":
			want = "parent rebuilt"
		}
		if reasons[r.Name] != want {
			t.Errorf("%s: reason %q, want %q", r.Name, reasons[r.Name], want)
		}
	}
	b.Updates = Updates{names["base"].Image: {"libc6"}}
	for name, reason := range b.plan(rs, have, Hashes(rs)) {
		want := "parent rebuilt" // every image descends from the base
		if name == "base" {
			want = "1 package updates"
		}
		if reason != want {
			t.Errorf("base has updates: %s reason %q, want %q", name, reason, want)
		}
	}
	b.OnlyMissing = true // `mage up`: never rebuilds what exists
	for name, reason := range b.plan(rs, have, Hashes(rs)) {
		if reason != "" {
			t.Errorf("OnlyMissing: %s rebuilt (%s)", name, reason)
		}
	}
}

// TestCheckUpdatesAsksAptInEachCurrentImage: the lists are refreshed
// once, with the network; each image whose label matches its recipe is
// simulated without it, against the lists read-only; images whose recipe
// changed (rebuilt anyway) are not checked. The "Inst" lines are the
// updates.
func TestCheckUpdatesAsksAptInEachCurrentImage(t *testing.T) {
	rs := testRecipes(t)
	names := byName(rs)
	labels := currentLabels(rs)
	labels[names["heat"].Image] = "old-recipe\t100:0123456789abcdef"
	store := fakeStore(labels)
	simulation := map[string]string{
		names["base"].Image: "Reading package lists...\nInst libssl3 [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])\n" +
			"Inst openssl [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])\n" +
			"Conf libssl3 (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])\n",
		names["nova"].Image: "Inst libssl3 [3.0.11-1~deb12u2] (3.0.13-1~deb12u1 Debian-Security:12/stable-security [amd64])\n" +
			"Inst python3-nova [2:26.2.2-1~deb12u2] (2:26.2.2-1~deb12u3 Debian-Security:12/stable-security [all])\n" +
			"Inst libfoo2 (1.0-1 Debian:12.9/stable [amd64])\n",
	}
	fake := &execx.Fake{Handler: func(ctx context.Context, c execx.Command) (execx.Result, error) {
		if c.Args[0] != "run" {
			return store.Run(ctx, c)
		}
		if !slices.Contains(c.Args, "--entrypoint=apt-get") || !slices.Contains(c.Args, "--user=root") {
			return execx.Result{}, errors.New("not apt-get as root: " + c.String())
		}
		if c.Args[len(c.Args)-1] == "-qq" {
			return execx.Result{}, nil
		}
		image := c.Args[slices.Index(c.Args, "-s")-1]
		return execx.Result{Stdout: []byte(simulation[image])}, nil
	}}
	var progress bytes.Buffer
	b := Builder{Runner: fake, Cache: t.TempDir(), Progress: &progress}
	updates, err := b.CheckUpdates(context.Background(), rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(updates) != len(rs)-1 {
		t.Errorf("%d images checked, want all %d but heat, whose recipe changed", len(updates), len(rs)-1)
	}
	if _, ok := updates[names["heat"].Image]; ok {
		t.Error("heat, rebuilt for its recipe anyway, was checked")
	}
	if got := strings.Join(updates[names["base"].Image], " "); got != "libssl3 openssl" {
		t.Errorf("base updates %q", got)
	}
	if got := strings.Join(updates[names["nova"].Image], " "); got != "libfoo2 libssl3 python3-nova" {
		t.Errorf("nova updates %q", got)
	}
	if got := strings.Join(updates.Pending(), " "); got != names["base"].Image+" "+names["nova"].Image {
		t.Errorf("pending %q", got)
	}
	calls := fake.Calls()
	var refreshes, simulations int
	for _, c := range calls[1:] {
		switch {
		case strings.HasSuffix(c, " update -qq"):
			refreshes++
			if !strings.Contains(c, "--network=host") || !strings.Contains(c, "lists:/var/lib/apt/lists ") {
				t.Errorf("refresh: %s", c)
			}
		case strings.HasSuffix(c, " dist-upgrade"):
			simulations++
			if !strings.Contains(c, "--network=none") || !strings.Contains(c, "lists:/var/lib/apt/lists:ro ") {
				t.Errorf("simulation: %s", c)
			}
		}
	}
	if refreshes != 1 || simulations != len(rs)-1 || !strings.HasPrefix(calls[0], "podman image inspect") {
		t.Errorf("%d refreshes and %d simulations, want 1 and %d: %v", refreshes, simulations, len(rs)-1, calls)
	}
	if out := progress.String(); !strings.Contains(out, "images: nova              3 package updates: libfoo2, libssl3, python3-nova\n") {
		t.Errorf("progress:\n%s", out)
	}
	if !b.listsFresh.Load() {
		t.Error("the check refreshed the lists, yet the rebuilds after it would refresh them again")
	}
}

// TestUpdateRecordForgetsRebuiltImages: the record keeps what the check
// found, less the images built since, and reads back as written.
func TestUpdateRecordForgetsRebuiltImages(t *testing.T) {
	checked := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	rec := UpdateRecord{Checked: checked, Images: Updates{"a:1": {"libssl3"}, "b:1": {"openssl", "libssl3"}, "c:1": {}}}
	rec.Rebuilt([]Result{{Image: "a:1", Built: true}, {Image: "b:1"}})
	path := UpdateRecordFile(filepath.Join(t.TempDir(), "apt"))
	if err := rec.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadUpdateRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Checked.Equal(checked) || len(got.Images) != 3 || strings.Join(got.Images.Pending(), " ") != "b:1" {
		t.Fatalf("record read back: %+v", got)
	}
	if _, err := ReadUpdateRecord(filepath.Join(t.TempDir(), "none.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no record: %v", err)
	}
}
