package images

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Updates are the installed packages each image could upgrade from the
// archive, by image reference; an image checked and found current has an
// empty list.
type Updates map[string][]string

// Pending returns the images with updates, sorted.
func (u Updates) Pending() []string {
	var out []string
	for img, pkgs := range u {
		if len(pkgs) > 0 {
			out = append(out, img)
		}
	}
	slices.Sort(out)
	return out
}

// CheckUpdates asks apt, in each image built from its current recipe,
// which of its installed packages the archive has newer versions of. The
// package lists (the build cache's) are refreshed once, from the first
// image; each image is then simulated against them with no network.
// Images podman lacks, or whose recipe changed, are left out: Build makes
// them afresh anyway.
func (b *Builder) CheckUpdates(ctx context.Context, rs []Recipe) (Updates, error) {
	current, err := b.current(ctx, rs)
	if err != nil || len(current) == 0 {
		return Updates{}, err
	}
	lists, check := filepath.Join(b.Cache, "lists"), filepath.Join(b.Cache, "check")
	for _, d := range []string{filepath.Join(lists, "partial"), check} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if _, err := b.Runner.Run(ctx, execx.Command{Name: "podman", Args: aptRun(current[0].Image, "host",
		[]string{lists + ":/var/lib/apt/lists"}, "update", "-qq")}); err != nil {
		return nil, fmt.Errorf("refresh the package lists (apt-get update in %s): %w", current[0].Image, err)
	}
	b.listsFresh.Store(true) // the rebuilds it leads to need not refresh them again
	updates := Updates{}
	for _, r := range current {
		res, err := b.Runner.Run(ctx, execx.Command{Name: "podman", Args: aptRun(r.Image, "none",
			[]string{lists + ":/var/lib/apt/lists:ro", check + ":/hotstack-check"}, simulateUpgrade...)})
		if err != nil {
			return nil, fmt.Errorf("image %s: check for package updates: %w", r, err)
		}
		updates[r.Image] = upgradable(string(res.Stdout))
		if n := len(updates[r.Image]); n > 0 {
			b.say("%-17s %d package updates: %s", r.Name, n, abbreviate(updates[r.Image], 6))
		}
	}
	return updates, nil
}

// current returns the recipes whose image podman has, labelled with the
// recipe's hash.
func (b *Builder) current(ctx context.Context, rs []Recipe) ([]Recipe, error) {
	hashes := Hashes(rs)
	have, err := Inspect(ctx, b.Runner, imageNames(rs))
	if err != nil {
		return nil, err
	}
	var out []Recipe
	for _, r := range rs {
		if info, ok := have[r.Image]; ok && info.Recipe == hashes[r.Name] {
			out = append(out, r)
		}
	}
	return out, nil
}

// simulateUpgrade lists, without installing anything, what an upgrade
// would install: dist-upgrade, since an update that needs a new
// dependency is kept back by a plain upgrade but is installed by a
// rebuild. No locks: the lists are mounted read-only. apt's cache of the
// lists (not of the image's packages) is kept between the images, which
// all share the lists, so only the first parses them.
var simulateUpgrade = []string{"-s", "-o", "Debug::NoLocking=1",
	"-o", "Dir::Cache::srcpkgcache=/hotstack-check/srcpkgcache.bin", "dist-upgrade"}

// aptRun is `podman run` of apt-get in image with the given volumes. As
// root whatever the image's USER (memcached's is memcache), and with
// explicit limits: podman's default ones may exceed what a nested host
// allows, and apt needs few files and processes.
func aptRun(image, network string, volumes []string, args ...string) []string {
	out := []string{"run", "--rm", "--pull=never", "--network=" + network, "--user=root", "--entrypoint=apt-get",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}
	for _, v := range volumes {
		out = append(out, "--volume", v)
	}
	return append(append(out, image), args...)
}

// upgradable returns the packages an apt-get simulation would install or
// upgrade: its "Inst name [old] (new ...)" lines.
func upgradable(simulation string) []string {
	pkgs := []string{}
	for _, line := range strings.Split(simulation, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "Inst" {
			pkgs = append(pkgs, fields[1])
		}
	}
	slices.Sort(pkgs)
	return slices.Compact(pkgs)
}

// abbreviate joins the first n of names, saying how many more there are.
func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// UpdateRecord is what the last check for package updates found, kept so
// that `mage status` can say it without asking the archive.
type UpdateRecord struct {
	Checked time.Time `json:"checked"`
	Images  Updates   `json:"images"`
}

// UpdateRecordFile is where the record is kept: in the build cache
// (default /var/cache/hotstack-os/apt/image-updates.json).
func UpdateRecordFile(cache string) string { return filepath.Join(cache, "image-updates.json") }

// ReadUpdateRecord reads the record at path; an error wrapping
// fs.ErrNotExist means no check was ever recorded.
func ReadUpdateRecord(path string) (UpdateRecord, error) {
	var rec UpdateRecord
	data, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}

// Rebuilt clears the updates of the images built since the check: a
// build installs the archive's newest versions.
func (u *UpdateRecord) Rebuilt(results []Result) {
	for _, r := range results {
		if r.Built {
			if u.Images == nil {
				u.Images = Updates{}
			}
			u.Images[r.Image] = []string{}
		}
	}
}

// Save writes the record to path, whole or not at all.
func (u UpdateRecord) Save(path string) error {
	data, err := json.MarshalIndent(u, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_, err = atomicfile.Write(path, append(data, '\n'), atomicfile.Options{Perm: 0o644})
	return err
}
