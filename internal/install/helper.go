package install

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// HelperPackage is the Go package of the binary the units call.
const HelperPackage = "./cmd/hotstack-os"

// BuildHelper compiles the helper binary and returns its bytes. The build is
// reproducible (-trimpath, no build id from the path), so an unchanged tree
// yields the same bytes and a second install leaves the binary untouched.
// It is mounted into every container, so it leaves out the symbol table
// and the DWARF debug information (-s -w): a third of its size, which only
// a debugger reads. A panic's stack trace still names functions and lines.
func BuildHelper(ctx context.Context, r execx.Runner) ([]byte, error) {
	dir, err := os.MkdirTemp("", "hotstack-os-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "hotstack-os")
	if _, err := r.Run(ctx, execx.Command{Name: "go", Args: []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, HelperPackage},
		Env: []string{"CGO_ENABLED=0"}}); err != nil {
		return nil, fmt.Errorf("build the helper binary: %w", err)
	}
	return os.ReadFile(out)
}
