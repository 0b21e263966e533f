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
// reproducible (no build id from the path, no VCS stamp), so an unchanged
// tree in the same place yields the same bytes and a second install leaves
// the binary untouched.
//
// It is built as the magefile is, but for cgo: static, since it runs in
// every image whatever their C library. No -trimpath: that flag is part of
// every package's build key, so with it nothing compiled for mage could be
// reused and a first install compiled the whole tree and the standard
// library again (16.9 s, 29.8 CPU-seconds on two cores, against 4.0 s and
// 7.1 without it). The price: moving the checkout changes the binary's
// bytes (it names its source files), so the next install writes it again;
// running containers keep the one they started with until they restart.
//
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
	if _, err := r.Run(ctx, execx.Command{Name: "go", Args: []string{"build", "-buildvcs=false", "-ldflags=-s -w", "-o", out, HelperPackage},
		Env: []string{"CGO_ENABLED=0"}}); err != nil {
		return nil, fmt.Errorf("build the helper binary: %w", err)
	}
	return os.ReadFile(out)
}
