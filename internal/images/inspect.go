package images

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Info is what podman's store says of one image.
type Info struct {
	ID     string // the full image ID
	Recipe string // the recipe hash label (Label); "" when it has none
	// Packages is the package list's label (PackagesLabel); "" when it
	// has none.
	Packages string
}

// notKnown is how podman reports each image of an inspect it does not have.
var notKnown = regexp.MustCompile(`(?m)inspecting object: (.+): image not known\s*$`)

// Inspect reads every image of names in ONE `podman image inspect`: its
// ID and labels. An image podman does not have is absent from the
// result; any other failure is an error.
func Inspect(ctx context.Context, r execx.Runner, names []string) (map[string]Info, error) {
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	out := map[string]Info{}
	if len(names) == 0 {
		return out, nil
	}
	res, err := r.Run(ctx, execx.Command{Name: "podman", Args: append([]string{"image", "inspect", "--format",
		fmt.Sprintf("{{.Id}}\t{{index .Labels %q}}\t{{index .Labels %q}}", Label, PackagesLabel)}, names...)})
	stderr := string(res.Stderr)
	if err != nil {
		// Exit 125 naming each image it lacks is an answer, not a failure.
		var e *execx.Error
		if errors.As(err, &e) && stderr == "" {
			stderr = e.Stderr
		}
		if e == nil || e.ExitCode <= 0 || !notKnown.MatchString(stderr) {
			return nil, fmt.Errorf("inspect images: %w", err)
		}
	}
	missing := map[string]bool{}
	for _, m := range notKnown.FindAllStringSubmatch(stderr, -1) {
		missing[m[1]] = true
	}
	lines := strings.Split(strings.TrimRight(string(res.Stdout), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	var present []string
	for _, n := range names {
		if !missing[n] {
			present = append(present, n)
		}
	}
	if len(lines) != len(present) {
		return nil, fmt.Errorf("inspect images: %d answers for %d images (%s): %s", len(lines), len(present), strings.Join(present, ", "), strings.TrimSpace(stderr))
	}
	for i, n := range present {
		fields := strings.Split(lines[i], "\t")
		out[n] = Info{ID: strings.TrimSpace(fields[0]), Recipe: labelField(fields, 1), Packages: labelField(fields, 2)}
	}
	return out, nil
}

// labelField is the label in fields[i]: "" when podman printed none.
func labelField(fields []string, i int) string {
	if i >= len(fields) {
		return ""
	}
	if v := strings.TrimSpace(fields[i]); v != "<no value>" {
		return v
	}
	return ""
}
