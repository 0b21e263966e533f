package images

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// layerBuilds is a podman whose layer builds take a second each: it
// records when each image's build started and ended, writes what a real
// build leaves (the image ID, the package list) and a new .deb into the
// apt archives it was given.
type layerBuilds struct {
	mu     sync.Mutex
	start  map[string]time.Time
	end    map[string]time.Time
	fresh  map[string]bool // the build was told apt's lists are fresh
	inUse  int
	maxUse int
}

func (l *layerBuilds) fake(t *testing.T, present map[string]string) *execx.Fake {
	return &execx.Fake{Handler: func(ctx context.Context, c execx.Command) (execx.Result, error) {
		if c.Name == "podman" && c.Args[0] == "image" {
			return fakeStore(present).Handler(ctx, c)
		}
		i := slices.Index(c.Args, "--iidfile")
		if c.Name != "podman" || c.Args[0] != "build" || i < 0 {
			return execx.Result{}, nil // the label build
		}
		work := c.Args[len(c.Args)-1]
		var name, archives string
		for j, a := range c.Args {
			if a == "--volume" && strings.HasSuffix(c.Args[j+1], ":/var/cache/apt/archives") {
				archives = strings.TrimSuffix(c.Args[j+1], ":/var/cache/apt/archives")
			}
		}
		data, _ := os.ReadFile(filepath.Join(work, "run.sh"))
		if m := regexp.MustCompile(` pkg-(\w+)`).FindStringSubmatch(string(data)); m != nil {
			name = m[1]
		}
		_, err := os.Stat(filepath.Join(work, listsFreshMark))
		l.mu.Lock()
		if l.fresh == nil {
			l.fresh = map[string]bool{}
		}
		l.fresh[name] = err == nil
		l.start[name] = time.Now()
		l.inUse++
		l.maxUse = max(l.maxUse, l.inUse)
		l.mu.Unlock()
		time.Sleep(time.Second)
		must(t, os.WriteFile(filepath.Join(archives, "pkg-"+name+"_1_all.deb"), []byte(name), 0o644))
		must(t, os.WriteFile(c.Args[i+1], []byte("sha256:"+name), 0o644))
		must(t, os.WriteFile(filepath.Join(work, filepath.Base(PackagesFile)), []byte("pkg-"+name+"=1\n"), 0o644))
		l.mu.Lock()
		l.end[name] = time.Now()
		l.inUse--
		l.mu.Unlock()
		return execx.Result{}, nil
	}}
}

// TestBuildsSideBySideEachAfterItsParent: two images on the same parent
// build at once; a child waits for its parent, and skips refreshing the
// lists its parent's build refreshed; what each build fetched lands in
// the shared cache, and no build's own copy is left behind.
func TestBuildsSideBySideEachAfterItsParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("Build refuses to build as a user other than root")
	}
	synctest.Test(t, func(t *testing.T) {
		base := Recipe{Name: "base", Image: "localhost/t-base:1", Suite: "trixie"}
		alpha := Recipe{Name: "alpha", Image: "localhost/t-alpha:1", Parent: "base", Packages: []string{"pkg-alpha"}}
		bravo := Recipe{Name: "bravo", Image: "localhost/t-bravo:1", Parent: "base", Packages: []string{"pkg-bravo"}}
		charlie := Recipe{Name: "charlie", Image: "localhost/t-charlie:1", Parent: "alpha", Packages: []string{"pkg-charlie"}}
		rs := []Recipe{base, alpha, bravo, charlie}
		l := &layerBuilds{start: map[string]time.Time{}, end: map[string]time.Time{}}
		cache := t.TempDir()
		must(t, os.MkdirAll(filepath.Join(cache, "archives"), 0o755))
		must(t, os.WriteFile(filepath.Join(cache, "archives", "old_1_all.deb"), []byte("old"), 0o644))
		b := Builder{Runner: l.fake(t, map[string]string{base.Image: Hashes(rs)["base"]}), Cache: cache, Mirror: "http://deb.debian.org/debian", Parallel: 2}
		results, err := b.Build(context.Background(), rs)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range results {
			names = append(names, r.Recipe)
		}
		if strings.Join(names, " ") != "base alpha bravo charlie" || results[0].Built || !results[3].Built {
			t.Errorf("results %v, want every recipe in order, base kept", results)
		}
		if l.maxUse != 2 || !l.start["alpha"].Equal(l.start["bravo"]) {
			t.Errorf("alpha and bravo started at %v and %v, %d builds at most at once; want both at once", l.start["alpha"], l.start["bravo"], l.maxUse)
		}
		if l.start["charlie"].Before(l.end["alpha"]) {
			t.Errorf("charlie started at %v, before its parent alpha was built (%v)", l.start["charlie"], l.end["alpha"])
		}
		// The first builds refresh apt's lists; one after them need not.
		if l.fresh["alpha"] || l.fresh["bravo"] || !l.fresh["charlie"] {
			t.Errorf("told the lists are fresh: %v; want charlie only", l.fresh)
		}
		entries, _ := os.ReadDir(cache)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "build-") {
				t.Errorf("a build's own apt directory is left: %s", e.Name())
			}
		}
		for _, deb := range []string{"old", "pkg-alpha", "pkg-bravo", "pkg-charlie"} {
			if _, err := os.Stat(filepath.Join(cache, "archives", deb+"_1_all.deb")); err != nil {
				t.Errorf("the shared archives lack %s: %v", deb, err)
			}
		}
	})
}

// TestAptDirsShareByLinksAndTakeBackNewLists: a build's copy is hard
// links; a list apt replaced there replaces the shared one, and a .deb
// the cache has is kept as it is.
func TestAptDirsShareByLinksAndTakeBackNewLists(t *testing.T) {
	cache := t.TempDir()
	for path, data := range map[string]string{"lists/debian_Packages": "old list", "lists/lock": "", "archives/a_1_all.deb": "a", "archives/partial/half.deb": "half"} {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(cache, path)), 0o755))
		must(t, os.WriteFile(filepath.Join(cache, path), []byte(data), 0o644))
	}
	b := Builder{Cache: cache}
	lists, archives, done, err := b.aptDirs("x")
	if err != nil {
		t.Fatal(err)
	}
	shared, _ := os.Stat(filepath.Join(cache, "lists", "debian_Packages"))
	mine, err := os.Stat(filepath.Join(lists, "debian_Packages"))
	if err != nil || !os.SameFile(shared, mine) {
		t.Fatalf("the build's list is not a link of the cache's: %v", err)
	}
	for _, transient := range []string{filepath.Join(lists, "lock"), filepath.Join(archives, "partial", "half.deb")} {
		if _, err := os.Stat(transient); err == nil {
			t.Errorf("%s was shared", transient)
		}
	}
	// As apt's update does: a new file renamed over the old one.
	must(t, os.WriteFile(filepath.Join(lists, "new"), []byte("new list"), 0o644))
	must(t, os.Rename(filepath.Join(lists, "new"), filepath.Join(lists, "debian_Packages")))
	must(t, os.WriteFile(filepath.Join(archives, "b_1_all.deb"), []byte("b"), 0o644))
	must(t, done(true))
	for path, want := range map[string]string{"lists/debian_Packages": "new list", "archives/a_1_all.deb": "a", "archives/b_1_all.deb": "b"} {
		if got, err := os.ReadFile(filepath.Join(cache, path)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Dir(lists)); err == nil {
		t.Error("the build's own directory was not removed")
	}
}

// TestTheLongestChainBuildsFirst: with one build at a time, the image
// others are built on goes before the images beside it, though it comes
// last in recipe order, also when their parent was just built; then the
// image with the most packages.
func TestTheLongestChainBuildsFirst(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("Build refuses to build as a user other than root")
	}
	synctest.Test(t, func(t *testing.T) {
		base := Recipe{Name: "base", Image: "localhost/t-base:1", Suite: "trixie"}
		rs := []Recipe{base,
			{Name: "mid", Image: "localhost/t-mid:1", Parent: "base", Packages: []string{"pkg-mid"}},
			{Name: "small", Image: "localhost/t-small:1", Parent: "mid", Packages: []string{"pkg-small"}},
			{Name: "tiny", Image: "localhost/t-tiny:1", Parent: "mid", Packages: []string{"pkg-tiny"}},
			{Name: "bigger", Image: "localhost/t-bigger:1", Parent: "mid", Packages: []string{"pkg-bigger", "more", "most"}},
			{Name: "common", Image: "localhost/t-common:1", Parent: "mid", Packages: []string{"pkg-common"}},
			{Name: "svc", Image: "localhost/t-svc:1", Parent: "common", Packages: []string{"pkg-svc"}}}
		l := &layerBuilds{start: map[string]time.Time{}, end: map[string]time.Time{}}
		b := Builder{Runner: l.fake(t, map[string]string{base.Image: Hashes(rs)["base"]}), Cache: t.TempDir(), Parallel: 1}
		if _, err := b.Build(context.Background(), rs); err != nil {
			t.Fatal(err)
		}
		order := slices.SortedFunc(maps.Keys(l.start), func(a, b string) int { return l.start[a].Compare(l.start[b]) })
		if got := strings.Join(order, " "); got != "mid common bigger small tiny svc" || l.maxUse != 1 {
			t.Errorf("build order %s, %d at once; want mid common bigger small tiny svc, one at a time", got, l.maxUse)
		}
	})
}
