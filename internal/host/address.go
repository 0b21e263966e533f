package host

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// addressDiff is whether dev holds the address and is up.
type addressDiff struct{ present, up bool }

// diffAddress reads dev's addresses and link state. A device that cannot
// be read (not created yet, when planning) has neither; adding the address
// then fails with ip's own error.
func diffAddress(ctx context.Context, r execx.Runner, dev string, addr netip.Prefix) addressDiff {
	var d addressDiff
	if out, err := execx.Output(ctx, r, "ip", "-o", "addr", "show", "dev", dev); err == nil {
		d.present = strings.Contains(out, " "+addr.String()+" ")
	}
	if link, err := execx.Output(ctx, r, "ip", "-o", "link", "show", "dev", dev); err == nil {
		d.up = linkUp(link)
	}
	return d
}

// fixAddress adds the address and sets the link up, as d found needed.
func fixAddress(ctx context.Context, r execx.Runner, dev string, addr netip.Prefix, d addressDiff) error {
	if !d.present {
		if _, err := r.Run(ctx, execx.Command{Name: "ip", Args: []string{"addr", "add", addr.String(), "dev", dev}}); err != nil {
			return fmt.Errorf("add %s to %s: %w", addr, dev, err)
		}
	}
	if !d.up {
		if _, err := r.Run(ctx, execx.Command{Name: "ip", Args: []string{"link", "set", dev, "up"}}); err != nil {
			return fmt.Errorf("set %s up: %w", dev, err)
		}
	}
	return nil
}

// linkUp reads the administrative UP flag from `ip -o link` output
// ("2: hot-ex: <BROADCAST,UP,LOWER_UP> ...").
func linkUp(out string) bool {
	i, j := strings.IndexByte(out, '<'), strings.IndexByte(out, '>')
	if i < 0 || j < i {
		return false
	}
	return slices.Contains(strings.Split(out[i+1:j], ","), "UP")
}
