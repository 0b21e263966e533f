package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"golang.org/x/sync/errgroup"
)

// Label holds the recipe hash an image was built from.
const Label = "io.hotstack-os.recipe"

// Builder builds the images on this host.
type Builder struct {
	Runner execx.Runner
	// Cache keeps apt's package lists and downloaded .debs between
	// builds (they never enter an image), e.g. /var/cache/hotstack-os/apt.
	Cache string
	// Mirror is the Debian archive, e.g. http://deb.debian.org/debian.
	Mirror string
	// Force rebuilds images whose recipe did not change.
	Force bool
	// OnlyMissing builds only the images podman does not have, and keeps
	// every image it has whatever its label (`mage up`: an operator's own
	// image under a unit's name is never replaced).
	OnlyMissing bool
	// Updates are the packages each image could upgrade, by image
	// (CheckUpdates): an image with any is rebuilt, and so are the images
	// built on it. A rebuild installs afresh from the archive (no layer
	// cache: --layers=false), so it gets the new versions.
	Updates Updates
	// Progress receives one line per image and step.
	Progress io.Writer
	// Parallel is how many images are built at once; 0 for one per core,
	// up to three.
	Parallel int

	progressMu sync.Mutex // the builds side by side write Progress
	// listsFresh is set once this run has refreshed the cache's apt
	// lists (CheckUpdates, or a layer build that put its lists back): the
	// builds that start after it skip `apt-get update` (1–2.5 s each,
	// mostly the archive's answers), as a second refresh minutes later
	// finds nothing new.
	listsFresh atomic.Bool
}

// Result is what happened to one image.
type Result struct {
	Recipe string
	Image  string
	Hash   string
	Built  bool
	// Reason is why it was built ("missing", "recipe changed", "3 package
	// updates", ...); "" when it was kept.
	Reason  string
	Elapsed time.Duration
}

// Hashes returns each recipe's hash, which covers the recipe and its
// parent's hash, so changing the base rebuilds everything on it.
func Hashes(rs []Recipe) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		h := sha256.New()
		if r.Parent == "" {
			fmt.Fprintf(h, "mmdebstrap %s minbase\n%s\n%s\n%s\n%s\n", r.Suite, baseSetup(), aptConf(), dpkgConf(), sources("MIRROR", r.Suite))
		} else {
			fmt.Fprintf(h, "parent %s\n%s\n", out[r.Parent], runScript(r))
		}
		fmt.Fprintf(h, "image %s\npackages %s\nconfig %s\n", r.Image, strings.Join(r.Packages, " "), strings.Join(r.Config, "\n"))
		for _, f := range r.Files {
			fmt.Fprintf(h, "file %s %o %d\n%s\n", f.Path, f.Mode, len(f.Content), f.Content)
		}
		out[r.Name] = hex.EncodeToString(h.Sum(nil))[:16]
	}
	return out
}

// Build makes every image that needs it (see reason) and returns what it
// did, in recipe order. One `podman image inspect` reads every image
// first. Images are built side by side, up to Parallel at once, each as
// soon as its parent is ready: a build is mostly one process (dpkg, then
// Python's byte-compiler) on one core, so a second core otherwise idles.
// The first failure stops the others, naming the image and, when apt says
// so, the package.
func (b *Builder) Build(ctx context.Context, rs []Recipe) ([]Result, error) {
	hashes := Hashes(rs)
	have, err := Inspect(ctx, b.Runner, imageNames(rs))
	if err != nil {
		return nil, err
	}
	reasons := b.plan(rs, have, hashes)
	if os.Geteuid() != 0 && slices.ContainsFunc(rs, func(r Recipe) bool { return reasons[r.Name] != "" }) {
		return nil, errors.New("building images needs root: they go into podman's system image store, which the units run from")
	}
	ready := make(map[string]chan struct{}, len(rs))
	for _, r := range rs {
		ready[r.Name] = make(chan struct{})
	}
	results := make([]Result, len(rs))
	recipes := byName(rs)
	g, gctx := errgroup.WithContext(ctx)
	slots := newSlots(gctx, b.parallel(), rs)
	// The builds whose parent is there already queue at once, the others
	// as their parent is built: all those a parent frees queue together,
	// before any of them can take a slot.
	var now []string
	next := map[string][]string{}
	for _, r := range rs {
		switch {
		case reasons[r.Name] == "":
		case reasons[r.Parent] == "":
			now = append(now, r.Name)
		default:
			next[r.Parent] = append(next[r.Parent], r.Name)
		}
	}
	slots.expect(now...)
	for i, r := range rs {
		g.Go(func() error {
			if parent, ok := ready[r.Parent]; ok {
				select {
				case <-parent:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			res := Result{Recipe: r.Name, Image: r.Image, Hash: hashes[r.Name], Reason: reasons[r.Name]}
			if res.Reason == "" {
				state := "up to date   "
				if b.OnlyMissing {
					state = "present      "
				}
				b.say("%-17s %s %s (%s)", r.Name, state, r.Image, res.Hash)
				results[i] = res
				close(ready[r.Name])
				return nil
			}
			if err := slots.acquire(r.Name); err != nil {
				return err
			}
			defer slots.release()
			start := time.Now()
			b.say("%-17s building      %s (%s): %s", r.Name, r.Image, res.Hash, res.Reason)
			var err error
			if r.Parent == "" {
				err = b.buildBase(gctx, r, res.Hash)
			} else {
				err = b.buildLayer(gctx, r, recipes[r.Parent], res.Hash)
			}
			if err != nil {
				if gctx.Err() != nil && ctx.Err() == nil {
					// Stopped by another image's failure, which is the
					// one to report.
					return gctx.Err()
				}
				return fmt.Errorf("image %s: %w", r, err)
			}
			res.Built, res.Elapsed = true, time.Since(start)
			b.say("%-17s built in %5.1fs %s", r.Name, res.Elapsed.Seconds(), r.Image)
			results[i] = res
			slots.expect(next[r.Name]...)
			close(ready[r.Name])
			return nil
		})
	}
	err = g.Wait()
	done := slices.DeleteFunc(results, func(r Result) bool { return r.Recipe == "" })
	return done, err
}

// parallel is how many images are built at once: Parallel, or one per
// core up to three (each build also has podman and apt beside it).
func (b *Builder) parallel() int {
	if b.Parallel > 0 {
		return b.Parallel
	}
	return max(1, min(runtime.NumCPU(), 3))
}

// plan says why each image must be built ("" keeps it). rs is in build
// order, so a parent's decision is made before its children's.
func (b *Builder) plan(rs []Recipe, have map[string]Info, hashes map[string]string) map[string]string {
	reasons := map[string]string{}
	for _, r := range rs {
		info, ok := have[r.Image]
		reasons[r.Name] = b.reason(r, info, ok, hashes[r.Name], reasons[r.Parent] != "")
	}
	return reasons
}

// reason is why one image must be built, or "" to keep it.
func (b *Builder) reason(r Recipe, info Info, present bool, hash string, parentRebuilt bool) string {
	switch {
	case !present:
		return "missing"
	case b.OnlyMissing:
		return ""
	case b.Force:
		return "forced"
	case info.Recipe != hash:
		return "recipe changed"
	case parentRebuilt:
		// A child is a layer on its parent's image: without a rebuild
		// it would keep the parent's old packages.
		return "parent rebuilt"
	case len(b.Updates[r.Image]) > 0:
		return fmt.Sprintf("%d package updates", len(b.Updates[r.Image]))
	}
	return ""
}

func recipeNames(rs []Recipe) []string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return names
}

func imageNames(rs []Recipe) []string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Image)
	}
	return names
}

func (b *Builder) say(format string, a ...any) {
	if b.Progress != nil {
		b.progressMu.Lock()
		defer b.progressMu.Unlock()
		fmt.Fprintf(b.Progress, "images: "+format+"\n", a...)
	}
}

// buildBase makes the base root filesystem with mmdebstrap (minbase, the
// base packages, the image users with their fixed ids, services never
// started by maintainer scripts) and imports it.
func (b *Builder) buildBase(ctx context.Context, r Recipe, hash string) error {
	work, err := os.MkdirTemp("", "hotstack-os-base-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	setup := filepath.Join(work, "setup.sh")
	aptOpt, dpkgOpt := filepath.Join(work, "apt.conf"), filepath.Join(work, "dpkg.cfg")
	for path, content := range map[string]string{setup: baseSetup(), aptOpt: aptConf(), dpkgOpt: dpkgConf()} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	archives := filepath.Join(b.Cache, "base-archives")
	if err := os.MkdirAll(archives, 0o755); err != nil {
		return err
	}
	tarball := filepath.Join(work, "rootfs.tar")
	args := []string{"--variant=minbase", "--include=" + strings.Join(r.Packages, ","),
		"--aptopt=" + aptOpt, "--dpkgopt=" + dpkgOpt,
		// mmdebstrap would delete our policy-rc.d at the end otherwise.
		"--skip=chroot/policy-rc.d", "--skip=essential/unlink",
		"--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
		`--setup-hook=mkdir -p "$1/var/cache/apt/archives" "$1/usr/sbin"`,
		"--setup-hook=sync-in " + archives + " /var/cache/apt/archives",
		// Maintainer scripts never start services in an image.
		`--setup-hook=printf '#!/bin/sh\nexit 101\n' > "$1/usr/sbin/policy-rc.d" && chmod 755 "$1/usr/sbin/policy-rc.d"`,
		"--customize-hook=copy-in " + setup + " /tmp",
		`--customize-hook=chroot "$1" sh /tmp/setup.sh && rm -f "$1/tmp/setup.sh"`,
		// The setup listed the packages; the list becomes a label.
		"--customize-hook=copy-out " + PackagesFile + " " + work,
		"--customize-hook=sync-out /var/cache/apt/archives " + archives,
		r.Suite, tarball, "-"}
	var log bytes.Buffer
	if _, err := b.Runner.Run(ctx, execx.Command{Name: "mmdebstrap", Args: args, Stdin: strings.NewReader(sources(b.Mirror, r.Suite)),
		Stdout: &log, Stderr: &log}); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return errors.New("mmdebstrap is not installed: apt-get install mmdebstrap")
		}
		return aptError("mmdebstrap", log.String(), err)
	}
	packages, err := readPackagesLabel(filepath.Join(work, filepath.Base(PackagesFile)))
	if err != nil {
		return err
	}
	if _, err := b.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"import", "--quiet",
		"--change", "ENV LANG=C.UTF-8", "--change", `CMD ["/bin/bash"]`,
		"--change", "LABEL " + Label + "=" + hash, "--change", "LABEL " + PackagesLabel + "=" + packages,
		tarball, r.Image}}); err != nil {
		return fmt.Errorf("podman import: %w", err)
	}
	return nil
}

// buildLayer installs the recipe's packages on its parent in one layer.
// apt's lists and archives are bind-mounted from the cache, so they are
// shared between builds and never stored in an image. A label cannot come
// from a RUN's output, so the layer is built untagged, and a second build
// with no RUN (FROM it, no new files) adds the labels, the package list's
// among them, and the tag: the tagged image always has both labels.
func (b *Builder) buildLayer(ctx context.Context, r, parent Recipe, hash string) error {
	work, err := os.MkdirTemp("", "hotstack-os-layer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, f := range r.Files {
		dst := filepath.Join(work, "files", f.Path)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, []byte(f.Content), os.FileMode(f.Mode)); err != nil {
			return err
		}
	}
	containerfile := "FROM " + parent.Image + "\nRUN sh -eu /hotstack-build/run.sh\n" + strings.Join(r.Config, "\n") + "\n"
	files := map[string]string{"run.sh": runScript(r), "Containerfile": containerfile}
	// Read before the copy of the lists is made: a build that took its
	// copy before another's fresh lists were back refreshes its own.
	if b.listsFresh.Load() {
		files[listsFreshMark] = ""
	}
	for path, content := range files {
		if err := os.WriteFile(filepath.Join(work, path), []byte(content), 0o644); err != nil {
			return err
		}
	}
	lists, archives, done, err := b.aptDirs(r.Name)
	if err != nil {
		return err
	}
	defer done(false)
	var log bytes.Buffer
	idFile := filepath.Join(work, "image-id")
	// --layers=false: the RUN always runs, never taken from podman's
	// cache, so a rebuild for updates installs the archive's new versions.
	// The work directory is writable: the RUN leaves the package list there.
	if _, err := b.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"build", "--layers=false", "--network=host", "--pull=never",
		"--volume", archives + ":/var/cache/apt/archives", "--volume", lists + ":/var/lib/apt/lists",
		"--volume", work + ":/hotstack-build", "--iidfile", idFile, "--file", filepath.Join(work, "Containerfile"), work},
		Stdout: &log, Stderr: &log}); err != nil {
		return aptError("podman build", log.String(), err)
	}
	if err := done(true); err != nil {
		return err
	}
	b.listsFresh.Store(true)
	return b.label(ctx, r, work, idFile, hash)
}

// aptDirs gives one layer build apt's package lists and archives of its
// own: copies of the cache's, made of hard links, in the cache (so on its
// file system). Builds side by side would otherwise fight over apt's
// locks in the shared directories. done(true) takes what the build
// fetched into the cache (new lists, new .debs); done(false) only removes
// the copies.
func (b *Builder) aptDirs(name string) (lists, archives string, done func(keep bool) error, err error) {
	shared := map[string]string{"lists": filepath.Join(b.Cache, "lists"), "archives": filepath.Join(b.Cache, "archives")}
	for _, d := range shared {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", "", nil, err
		}
	}
	own, err := os.MkdirTemp(b.Cache, "build-"+name+"-")
	if err != nil {
		return "", "", nil, err
	}
	removed := false
	done = func(keep bool) error {
		if removed {
			return nil
		}
		var err error
		if keep {
			suffix := "." + filepath.Base(own)
			err = errors.Join(mergeLinks(filepath.Join(own, "lists"), shared["lists"], true, suffix),
				mergeLinks(filepath.Join(own, "archives"), shared["archives"], false, suffix))
		}
		removed = true
		return errors.Join(err, os.RemoveAll(own))
	}
	for sub, from := range shared {
		if err := linkTree(from, filepath.Join(own, sub)); err != nil {
			_ = done(false)
			return "", "", nil, fmt.Errorf("apt cache %s: %w", from, err)
		}
	}
	return filepath.Join(own, "lists"), filepath.Join(own, "archives"), done, nil
}

// aptTransient are apt's lock files and its directory of downloads in
// progress, and another build's file on its way in (mergeLinks): never
// shared between builds.
func aptTransient(name string) bool {
	return name == "lock" || name == "partial" || strings.Contains(name, ".build-")
}

// walkApt mirrors src's directories into dst, apt's transient entries
// left out, and calls file for each regular file with its path in dst.
func walkApt(src, dst string, file func(path, target string, d fs.DirEntry) error) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		switch {
		case rel == ".":
			return nil
		case aptTransient(d.Name()) && d.IsDir():
			return filepath.SkipDir
		case aptTransient(d.Name()):
			return nil
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case d.Type().IsRegular():
			return file(path, filepath.Join(dst, rel), d)
		}
		return nil
	})
}

// linkTree makes dst a copy of src's files, hard links each, with an empty
// partial directory (apt's downloads in progress).
func linkTree(src, dst string) error {
	if err := os.MkdirAll(filepath.Join(dst, "partial"), 0o755); err != nil {
		return err
	}
	return walkApt(src, dst, func(path, target string, _ fs.DirEntry) error {
		// Another build may replace the file meanwhile (mergeLinks): then
		// it is gone under this name, and its new one is fine to miss.
		if err := os.Link(path, target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}

// mergeLinks links src's files into dst: those dst lacks and, with
// replace, those that differ (apt's update writes a new file, never into
// the old one, so a list that differs is a newer one). A file replaced
// goes in by rename: a build reading dst meanwhile sees one or the other.
func mergeLinks(src, dst string, replace bool, suffix string) error {
	return walkApt(src, dst, func(path, target string, d fs.DirEntry) error {
		if have, err := os.Stat(target); err == nil {
			mine, err := d.Info()
			if err != nil || !replace || os.SameFile(have, mine) {
				return err
			}
		}
		// The build's own name: two builds may bring the same file.
		tmp := target + suffix
		_ = os.Remove(tmp)
		if err := os.Link(path, tmp); err != nil {
			return err
		}
		return os.Rename(tmp, target)
	})
}

// label tags the image the layer build made (its ID in idFile) as
// r.Image, with the recipe and package labels.
func (b *Builder) label(ctx context.Context, r Recipe, work, idFile, hash string) error {
	id, err := os.ReadFile(idFile)
	if err != nil {
		return fmt.Errorf("the layer build wrote no image ID: %w", err)
	}
	packages, err := readPackagesLabel(filepath.Join(work, filepath.Base(PackagesFile)))
	if err != nil {
		return err
	}
	// The bare ID: "sha256:..." would read as a name with a tag.
	from := "FROM " + strings.TrimPrefix(strings.TrimSpace(string(id)), "sha256:") + "\n"
	containerfile := filepath.Join(work, "Containerfile.labels")
	if err := os.WriteFile(containerfile, []byte(from), 0o644); err != nil {
		return err
	}
	if _, err := b.Runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"build", "--layers=false", "--pull=never",
		"--label", Label + "=" + hash, "--label", PackagesLabel + "=" + packages,
		"--tag", r.Image, "--file", containerfile, work}}); err != nil {
		return fmt.Errorf("label the image: %w", err)
	}
	return nil
}

// readPackagesLabel is PackagesLabel's value for the package list a
// build left at path.
func readPackagesLabel(path string) (string, error) {
	list, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("the build left no package list: %w", err)
	}
	return packagesLabel(string(list))
}

// listsFreshMark, in a layer's build directory, tells its RUN that apt's
// lists were refreshed by an earlier build of the same run
// (Builder.listsFresh).
const listsFreshMark = "apt-lists-fresh"

// runScript is the RUN of a layer: files in place, stub packages built,
// a fresh package index, the packages, the recipe's post steps, then the
// list of the packages the image holds, in the image and for its label.
func runScript(r Recipe) string {
	var b strings.Builder
	b.WriteString("export DEBIAN_FRONTEND=noninteractive\ncd /hotstack-build\nif [ -d files ]; then cp -a files/. /; fi\n")
	var debs []string
	for _, stub := range slices.Sorted(maps.Keys(r.Stubs)) {
		fmt.Fprintf(&b, "mkdir -p /tmp/stubs/%[1]s/DEBIAN\nprintf 'Package: %[1]s\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: hotstack-os\\nProvides: %[2]s\\nDescription: stub providing %[2]s\\n' > /tmp/stubs/%[1]s/DEBIAN/control\ndpkg-deb --build /tmp/stubs/%[1]s /tmp/stubs/%[1]s.deb >/dev/null\n",
			stub, r.Stubs[stub])
		debs = append(debs, "/tmp/stubs/"+stub+".deb")
	}
	b.WriteString("[ -e /hotstack-build/" + listsFreshMark + " ] || apt-get update -qq\n")
	b.WriteString(divertPyCompile)
	fmt.Fprintf(&b, "apt-get install -y -q --no-install-recommends -o DPkg::Options::=--force-unsafe-io %s\n", strings.Join(append(slices.Clone(r.Packages), debs...), " "))
	b.WriteString(restorePyCompile)
	for _, p := range r.Post {
		b.WriteString(p + "\n")
	}
	b.WriteString(compilePython)
	b.WriteString("rm -rf /tmp/stubs /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/cache/debconf/*-old /var/lib/dpkg/*-old /root/.cache\n")
	b.WriteString(listPackages + "\ncp " + PackagesFile + " /hotstack-build/\n")
	return b.String()
}

// Python's byte-code is compiled once per layer, after the install, on
// every core. Each Python package's postinst would otherwise run
// py3compile for its own files only when `command -v py3compile` finds it,
// one package after another on one core: openstack-common's install took
// 62 s that way, and takes 35 s plus 11 s of compileall this way, with the
// same .pyc files. The diversion hides py3compile during the install and
// puts it back after, so the image's own py3compile is untouched.
// compileall skips what is already compiled (a child layer's parent's
// files); a module that does not compile is reported in the build's log
// and skipped, as py3compile does.
const (
	divertPyCompile  = "dpkg-divert --quiet --local --rename --divert /usr/bin/py3compile.hotstack-os --add /usr/bin/py3compile\n"
	restorePyCompile = "dpkg-divert --quiet --local --rename --remove /usr/bin/py3compile\n"
	compilePython    = "if [ -x /usr/bin/python3 ]; then python3 -m compileall -q -j 0 /usr/lib/python3/dist-packages /usr/share/python3 || true; fi\n"
)

// baseSetup runs chrooted in the fresh root filesystem: it creates the
// image users with their fixed ids before any package would add them with
// an id of its choosing, and lists the installed packages (PackagesFile).
func baseSetup() string {
	var b strings.Builder
	b.WriteString(`set -eu
# adduser --system (mariadb-server's, rabbitmq-server's ... postinst) refuses
# an existing user whose id is outside the system range: widen it.
sed -i -e 's/^#\?LAST_SYSTEM_UID=.*/LAST_SYSTEM_UID=42999/' -e 's/^#\?LAST_SYSTEM_GID=.*/LAST_SYSTEM_GID=42999/' \
       -e 's/^#\?FIRST_UID=.*/FIRST_UID=43000/' -e 's/^#\?FIRST_GID=.*/FIRST_GID=43000/' /etc/adduser.conf
sed -i -e 's/^#\?\s*SYS_UID_MAX.*/SYS_UID_MAX 42999/' -e 's/^#\?\s*SYS_GID_MAX.*/SYS_GID_MAX 42999/' \
       -e 's/^UID_MIN.*/UID_MIN 43000/' -e 's/^GID_MIN.*/GID_MIN 43000/' /etc/login.defs
`)
	for _, u := range stack.ImageUsers() {
		fmt.Fprintf(&b, "groupadd --system --gid %[2]d %[1]s\nuseradd --system --uid %[2]d --gid %[2]d --home-dir %[3]s --no-create-home --shell /usr/sbin/nologin --comment %[1]s %[1]s\n",
			u.Name, u.ID, u.Home)
	}
	b.WriteString(listPackages + "\n")
	return b.String()
}

// aptConf stays in the images: no recommends, no caches, no translations.
func aptConf() string {
	return "APT::Install-Recommends \"false\";\nAPT::Install-Suggests \"false\";\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\nAcquire::Languages \"none\";\n"
}

// dpkgConf keeps documentation out of the images (copyrights stay), and
// the Python packages' own test suites: a third of every OpenStack
// image's modules (openstack-common: 3,081 of 9,423; 153 of its 392 MB),
// which dpkg would unpack, compileall compile and podman commit, and no
// service imports (the entry points that name them are test drivers).
func dpkgConf() string {
	return "path-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/info/*\npath-exclude=/usr/share/lintian/*\npath-exclude=/usr/share/locale/*\n" +
		"path-exclude=/usr/lib/python3/dist-packages/*/tests/*\n"
}

// sources is the images' sources.list.
func sources(mirror, suite string) string {
	security := strings.TrimSuffix(mirror, "/debian") + "/debian-security"
	return fmt.Sprintf("deb %[1]s %[2]s main\ndeb %[1]s %[2]s-updates main\ndeb %[3]s %[2]s-security main\n", mirror, suite, security)
}

// The apt messages that name a package that cannot be installed.
var aptPackageErrors = regexp.MustCompile(`(?m)(?:Unable to locate package (\S+)|Package '?(\S+?)'? has no installation candidate|Failed to fetch \S*/([^/_\s]+)_[^\s]+\.deb)`)

// aptError turns a failed build into an error that names the package apt
// complained about, with the last lines of the log.
func aptError(what, log string, err error) error {
	tail := lastLines(log, 15)
	if m := aptPackageErrors.FindStringSubmatch(log); m != nil {
		pkg := m[1] + m[2] + m[3]
		return fmt.Errorf("package %s cannot be installed (%s failed: %v)\n%s", pkg, what, err, tail)
	}
	return fmt.Errorf("%s failed: %w\n%s", what, err, tail)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
