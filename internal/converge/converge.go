// Package converge decides which running containers `mage up` restarts:
// exactly those whose inputs changed since they started. A container's
// inputs are its unit, the image it runs, each rendered file it mounts
// and the secrets it receives; its labels record what they were (see
// units.Fingerprint), and podman what image it runs. `mage plan` and
// `mage up` both ask Restarts, so the plan lists the restarts up makes.
package converge

import (
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// Unlabelled is the reason to restart a container without fingerprint
// labels (the others are units.Fingerprint.Changes's).
const Unlabelled = "no fingerprint labels (started by an older hotstack-os, or by hand)"

// Restart is one container to restart, and why.
type Restart struct {
	Service string
	Reasons []string
}

// String is the line up prints and plan shows, e.g.
// "keystone: keystone.conf changed".
func (r Restart) String() string { return r.Service + ": " + strings.Join(r.Reasons, ", ") }

// Restarts compares every running container of st with what its unit
// starts it from now: want, the rendered fingerprints (units.Render), and
// imageIDs, the current ID of each image reference (images.Inspect). A
// service whose container is not running is not restarted (up starts it
// from its current unit anyway). The result is in the stack's order;
// the engine restarts in dependency order (tasks.Engine.Restart).
func Restarts(st *stack.Stack, want map[string]units.Fingerprint, running map[string]systemd.Container, imageIDs map[string]string) []Restart {
	var out []Restart
	for _, svc := range st.Containers() {
		c, ok := running[stack.ContainerName(svc.Name)]
		fp, known := want[svc.Name]
		if !ok || !known {
			continue
		}
		if reasons := changes(fp, c, imageIDs); len(reasons) > 0 {
			out = append(out, Restart{Service: svc.Name, Reasons: reasons})
		}
	}
	return out
}

// changes says why container c, started from its labels, differs from fp.
func changes(fp units.Fingerprint, c systemd.Container, imageIDs map[string]string) []string {
	was, labelled := units.ParseLabels(c.Labels)
	if !labelled {
		return []string{Unlabelled}
	}
	reasons := fp.Changes(was)
	// Same reference, new content (rebuilt, re-tagged or pulled): the
	// image changed all the same.
	if id, ok := imageIDs[fp.Image]; ok && id != c.ImageID && !slices.Contains(reasons, units.ImageChanged) {
		at := 0
		if len(reasons) > 0 && reasons[0] == units.UnitChanged {
			at = 1
		}
		reasons = slices.Insert(reasons, at, units.ImageChanged)
	}
	return reasons
}

// Set returns the services of rs, for the engine.
func Set(rs []Restart) map[string]bool {
	out := make(map[string]bool, len(rs))
	for _, r := range rs {
		out[r.Service] = true
	}
	return out
}
