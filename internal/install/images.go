package install

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// UnitImages returns every image the units use, each with the services
// that use it.
func UnitImages(cfg *config.Config, st *stack.Stack) map[string][]string {
	users := map[string][]string{}
	for _, svc := range st.Containers() {
		img := units.Image(cfg, svc)
		users[img] = append(users[img], svc.Name)
	}
	return users
}

// MissingImages returns the images the units use that podman does not have,
// each with the services that need it, from one `podman image inspect`;
// and what podman has of the others.
func MissingImages(ctx context.Context, r execx.Runner, cfg *config.Config, st *stack.Stack) (map[string][]string, map[string]images.Info, error) {
	users := UnitImages(cfg, st)
	have, err := images.Inspect(ctx, r, slices.Collect(maps.Keys(users)))
	if err != nil {
		return nil, nil, err
	}
	missing := map[string][]string{}
	for img, svcs := range users {
		if _, ok := have[img]; !ok {
			missing[img] = svcs
		}
	}
	return missing, have, nil
}

// ErrImagesMissing is the error of an install whose images are not in
// podman's store.
var ErrImagesMissing = errors.New("images missing")

// MissingImagesError lists the missing images, the services that use each,
// and how to get them. It wraps ErrImagesMissing.
func MissingImagesError(missing map[string][]string) error {
	imgs := slices.Sorted(maps.Keys(missing))
	var b strings.Builder
	fmt.Fprintf(&b, "%d image(s) the units need are not in podman's store:\n", len(imgs))
	for _, img := range imgs {
		fmt.Fprintf(&b, "  %s (used by %s)\n", img, strings.Join(missing[img], ", "))
	}
	b.WriteString("`mage images` builds the localhost/hotstack-os* ones (`mage up` builds those missing by itself); pull\n" +
		"others (podman pull IMAGE), or point a service elsewhere with <SERVICE>_IMAGE in .env.\n" +
		"Set HOTSTACK_SKIP_IMAGE_CHECK=1 to install without them (staging).")
	return &imagesError{msg: b.String()}
}

type imagesError struct{ msg string }

func (e *imagesError) Error() string { return e.msg }
func (e *imagesError) Unwrap() error { return ErrImagesMissing }
