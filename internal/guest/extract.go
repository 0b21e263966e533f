package guest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// Extract copies the guest disk (DiskPath) out of image to dest on the
// host. The image is never run: `podman create` makes a container only
// to read its filesystem (no runtime, cgroup or network involved), and
// `podman cp` streams the file as a tar archive. dest is replaced
// atomically, so a reader never sees half a disk.
func Extract(ctx context.Context, runner execx.Runner, image, dest string) (err error) {
	res, err := runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"create", "--pull=never", image}})
	if err != nil {
		return fmt.Errorf("guest disk: %w", err)
	}
	id := strings.TrimSpace(string(res.Stdout))
	if id == "" {
		return errors.New("guest disk: podman create printed no container id")
	}
	defer func() {
		// Removed even when ctx is done, so no container is left behind.
		_, rmErr := runner.Run(context.WithoutCancel(ctx), execx.Command{Name: "podman", Args: []string{"rm", "--force", id}})
		if err == nil && rmErr != nil {
			err = fmt.Errorf("guest disk: %w", rmErr)
		}
	}()
	res, err = runner.Run(ctx, execx.Command{Name: "podman", Args: []string{"cp", id + ":" + DiskPath, "-"}})
	if err != nil {
		return fmt.Errorf("guest disk: %w", err)
	}
	data, err := untarFile(bytes.NewReader(res.Stdout), path.Base(DiskPath))
	if err != nil {
		return fmt.Errorf("guest disk from %s: %w", image, err)
	}
	if _, err := atomicfile.Write(dest, data, atomicfile.Options{Perm: 0o644}); err != nil {
		return fmt.Errorf("guest disk: %w", err)
	}
	return nil
}

// untarFile returns the regular file called name from a tar stream.
func untarFile(r io.Reader, name string) ([]byte, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is not in the archive podman cp wrote", name)
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg && path.Base(h.Name) == name {
			return io.ReadAll(tr)
		}
	}
}
