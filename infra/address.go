package infra

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// ensureAddress puts addr/prefix on dev and sets the link up, changing
// nothing that is already so.
func ensureAddress(ctx context.Context, r execx.Runner, dev string, addr netip.Prefix) (bool, error) {
	out, err := execx.Output(ctx, r, "ip", "-o", "addr", "show", "dev", dev)
	if err != nil {
		return false, fmt.Errorf("read addresses of %s: %w", dev, err)
	}
	changed := false
	if !strings.Contains(out, " "+addr.String()+" ") {
		if _, err := r.Run(ctx, execx.Command{Name: "ip", Args: []string{"addr", "add", addr.String(), "dev", dev}}); err != nil {
			return false, fmt.Errorf("add %s to %s: %w", addr, dev, err)
		}
		changed = true
	}
	link, err := execx.Output(ctx, r, "ip", "-o", "link", "show", "dev", dev)
	if err != nil {
		return changed, fmt.Errorf("read link %s: %w", dev, err)
	}
	if !linkUp(link) {
		if _, err := r.Run(ctx, execx.Command{Name: "ip", Args: []string{"link", "set", dev, "up"}}); err != nil {
			return changed, fmt.Errorf("set %s up: %w", dev, err)
		}
		changed = true
	}
	return changed, nil
}

// linkUp reads the administrative UP flag from `ip -o link` output
// ("2: hot-ex: <BROADCAST,UP,LOWER_UP> ...").
func linkUp(out string) bool {
	i, j := strings.IndexByte(out, '<'), strings.IndexByte(out, '>')
	if i < 0 || j < i {
		return false
	}
	for _, f := range strings.Split(out[i+1:j], ",") {
		if f == "UP" {
			return true
		}
	}
	return false
}
