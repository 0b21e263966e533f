package infra

import (
	"context"
	"fmt"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// The managed blocks.
var (
	HostsBlock   = Block{Begin: "# BEGIN hotstack-os managed entries", End: "# END hotstack-os managed entries"}
	ExportsBlock = Block{Begin: "# BEGIN hotstack-os managed exports", End: "# END hotstack-os managed exports"}
)

// APIHostnames resolve to BREX_IP, where haproxy publishes the APIs.
var APIHostnames = []string{"keystone", "glance", "placement", "nova", "neutron", "cinder", "heat"}

func hostsEntries(brexIP string) []string {
	out := make([]string, len(APIHostnames))
	for i, h := range APIHostnames {
		out[i] = brexIP + " " + h + ".hotstack-os.local"
	}
	return out
}

func exportsEntries(dir string) []string {
	return []string{dir + " 127.0.0.1(rw,sync,no_root_squash,no_subtree_check)"}
}

// applyBlock makes the block in path hold body (remove when body is nil).
func applyBlock(path string, b Block, body []string) (bool, []byte, error) {
	return editFile(path, func(data []byte) ([]byte, error) {
		if body == nil {
			return b.Remove(path, data)
		}
		return b.Apply(path, data, body)
	})
}

// applyExports edits the exports file and re-exports. If exportfs rejects
// the new file, the previous content is put back and exportfs's own error
// is returned, so a bad export never stays half-applied.
func applyExports(ctx context.Context, r execx.Runner, path string, body []string, reexport bool) (bool, error) {
	changed, before, err := applyBlock(path, ExportsBlock, body)
	if err != nil || !changed || !reexport {
		return changed, err
	}
	if _, err := r.Run(ctx, execx.Command{Name: "exportfs", Args: []string{"-ra"}}); err != nil {
		if _, rerr := atomicfile.Write(path, before, atomicfile.Options{Perm: 0o644, KeepMeta: true}); rerr != nil {
			return true, fmt.Errorf("exportfs -ra failed (%w), and restoring %s failed too: %v", err, path, rerr)
		}
		_, _ = r.Run(ctx, execx.Command{Name: "exportfs", Args: []string{"-ra"}})
		return false, fmt.Errorf("exportfs rejected the new %s, which was restored: %w", path, err)
	}
	return true, nil
}
