// Package images builds every image the units name from Debian 12's own
// packages, with no container registry: the base root filesystem comes
// from mmdebstrap and is loaded with `podman import`; every other image is
// one `podman build` layer on its parent that installs its packages with
// apt. Each image is labelled with the hash of its recipe (and its
// parent's), so a build whose recipe did not change is skipped, and with
// its installed package versions (PackagesLabel); CheckUpdates finds the
// images the archive has updates for, which Build then rebuilds.
package images

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/guest"
	"github.com/hotstack-os/hotstack-os/stack"
)

// Recipe is how one image is made.
type Recipe struct {
	Name  string // short name, e.g. "nova"
	Image string // the reference it is tagged with
	// Parent is the recipe this one is built on; "" for the base, which
	// mmdebstrap makes.
	Parent string
	// Suite is the Debian suite the base is made from (the release's).
	Suite    string
	Packages []string
	// Stubs are empty packages that only Provide a virtual package, so
	// apt does not pull its heavy real provider (nova-compute's
	// hypervisor: libvirt and qemu run on the host).
	Stubs map[string]string
	// Files are written into the image before the packages are installed.
	Files []File
	// Post is shell run after the install, in the same layer.
	Post []string
	// Config are Containerfile instructions after the RUN (CMD, USER, ...).
	Config []string
}

// File is one file a recipe puts into its image.
type File = stack.File

// Recipes returns every recipe of a release in build order (parents
// first), each image tagged with the release's name, from its Debian
// suite. The entrypoint scripts come from the stack: a service whose unit
// names an --entrypoint gets that script, and an image that one service
// alone runs without one gets the helper as its ENTRYPOINT.
func Recipes(st *stack.Stack, rel stack.Release) []Recipe {
	var rs []Recipe
	for _, img := range st.Images() {
		rs = append(rs, Recipe{Name: img.Name, Image: img.Repository, Parent: img.Parent, Packages: slices.Clone(img.Packages),
			Stubs: img.Stubs, Files: slices.Clone(img.Files), Post: img.Post, Config: slices.Clone(img.Config)})
	}
	// The test guest's disk (CirrOS's role), made from Debian's kernel,
	// busybox and dropbear. No unit runs it: `mage images` builds it for
	// the tests, which copy the disk out (guest.Extract). It lives here,
	// not in the stack, because internal/guest makes it.
	rs = append(rs, Recipe{Name: "guest", Image: "localhost/hotstack-os-guest", Parent: "base", Packages: guest.Packages(), Stubs: guest.Stubs(),
		Files: []File{{Path: guest.BuildScriptPath, Mode: 0o755, Content: guest.BuildScript()}},
		Post:  []string{guest.BuildScriptPath}})
	for i := range rs {
		rs[i].Files = append(rs[i].Files, entrypoints(st, rs[i].Image)...)
		if e := defaultEntrypoint(st, rs[i].Image); e != "" {
			rs[i].Config = append(rs[i].Config, e)
		}
		rs[i].Image += ":" + rel.Name
		rs[i].Suite = rel.Suite
		rs[i].Packages = slices.DeleteFunc(rs[i].Packages, func(p string) bool { return !rel.Has(p) })
	}
	return rs
}

// entrypoints are the scripts the units name with --entrypoint for the
// services that run image.
func entrypoints(st *stack.Stack, image string) []File {
	var out []File
	for _, svc := range st.Containers() {
		if svc.Container.Image != image || svc.Container.Entrypoint == "" {
			continue
		}
		out = append(out, File{Path: svc.Container.Entrypoint, Mode: 0o755,
			Content: fmt.Sprintf("#!/bin/sh\nexec %s entrypoint %s \"$@\"\n", stack.ContainerHelper, svc.Name)})
	}
	return out
}

// defaultEntrypoint is the ENTRYPOINT of an image that exactly one service
// runs, without an --entrypoint of its own and without a CMD of the
// recipe's: the helper's entrypoint for that service.
func defaultEntrypoint(st *stack.Stack, image string) string {
	var users []*stack.Service
	for _, svc := range st.Containers() {
		if svc.Container.Image == image {
			users = append(users, svc)
		}
	}
	if len(users) != 1 || users[0].Container.Entrypoint != "" {
		return ""
	}
	if users[0].Start == nil {
		return "" // memcached, dnsmasq and haproxy run their daemon directly
	}
	return fmt.Sprintf(`ENTRYPOINT [%q, "entrypoint", %q]`, stack.ContainerHelper, users[0].Name)
}

// OpenStackImages are the images of the recipes built on
// openstack-common: the OpenStack services, whose configuration
// oslo-config-validator checks inside them.
func OpenStackImages(rs []Recipe) []string {
	var out []string
	for _, r := range rs {
		if r.Parent == stack.OpenStackCommon {
			out = append(out, r.Image)
		}
	}
	return out
}

// byName indexes recipes.
// For returns the recipes that build images, each with the parents it is
// built on, in build order, and the images no recipe builds.
func For(rs []Recipe, images []string) (needed []Recipe, unknown []string) {
	byImage := map[string]Recipe{}
	for _, r := range rs {
		byImage[r.Image] = r
	}
	names := byName(rs)
	want := map[string]bool{}
	for _, img := range images {
		r, ok := byImage[img]
		if !ok {
			unknown = append(unknown, img)
			continue
		}
		for ; !want[r.Name]; r = names[r.Parent] {
			want[r.Name] = true
			if r.Parent == "" {
				break
			}
		}
	}
	for _, r := range rs {
		if want[r.Name] {
			needed = append(needed, r)
		}
	}
	return needed, unknown
}

func byName(rs []Recipe) map[string]Recipe {
	m := make(map[string]Recipe, len(rs))
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

// String names a recipe for messages.
func (r Recipe) String() string {
	return r.Name + " (" + strings.TrimPrefix(r.Image, "localhost/") + ")"
}
