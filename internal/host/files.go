package host

import (
	"context"
	"fmt"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// The managed blocks.
func hostsBlock() Block {
	return Block{Begin: "# BEGIN hotstack-os managed entries", End: "# END hotstack-os managed entries"}
}

func exportsBlock() Block {
	return Block{Begin: "# BEGIN hotstack-os managed exports", End: "# END hotstack-os managed exports"}
}

// apiHostnames resolve to BREX_IP, where haproxy publishes the APIs.
func apiHostnames() []string {
	return []string{"keystone", "glance", "placement", "nova", "neutron", "cinder", "heat"}
}

func hostsEntries(brexIP string) []string {
	names := apiHostnames()
	out := make([]string, len(names))
	for i, h := range names {
		out[i] = brexIP + " " + h + ".hotstack-os.local"
	}
	return out
}

func exportsEntries(dir string) []string {
	return []string{dir + " 127.0.0.1(rw,sync,no_root_squash,no_subtree_check)"}
}

// readBlockEdit reads path and computes it with the block holding body
// (without the block when body is nil).
func readBlockEdit(path string, b Block, body []string) (fileEdit, error) {
	return readEdit(path, func(data []byte) ([]byte, error) {
		if body == nil {
			return b.Remove(path, data)
		}
		return b.Apply(path, data, body)
	})
}

// applyExports writes the exports file and re-exports. If exportfs rejects
// the new file, the previous content is put back and exportfs's own error
// is returned, so a bad export never stays half-applied.
func applyExports(ctx context.Context, r execx.Runner, e fileEdit, reexport bool) error {
	if err := e.write(); err != nil || !reexport {
		return err
	}
	if _, err := r.Run(ctx, execx.Command{Name: "exportfs", Args: []string{"-ra"}}); err != nil {
		if _, rerr := atomicfile.Write(e.path, e.before, atomicfile.Options{Perm: 0o644, KeepMeta: true}); rerr != nil {
			return fmt.Errorf("exportfs -ra failed (%w), and restoring %s failed too: %v", err, e.path, rerr)
		}
		_, _ = r.Run(ctx, execx.Command{Name: "exportfs", Args: []string{"-ra"}})
		return fmt.Errorf("exportfs rejected the new %s, which was restored: %w", e.path, err)
	}
	return nil
}
