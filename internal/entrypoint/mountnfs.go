package entrypoint

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MountNFS is the image's /sbin/mount.nfs: this kernel needs no NFS client
// for a single host, because the exported directory is bind-mounted into
// the container at the same path. A share "HOST:/path" is therefore
// mounted as a bind mount of /path; one whose path is not in the container
// is refused with the reason. (Cinder's NFS driver and os-brick call
// `mount -t nfs`, which runs this helper.)
func MountNFS(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: mount.nfs HOST:/PATH MOUNTPOINT [-o OPTIONS]")
	}
	device, target := args[0], args[1]
	_, path, ok := strings.Cut(device, ":")
	if !ok || !strings.HasPrefix(path, "/") {
		return fmt.Errorf("mount.nfs: %q is not HOST:/PATH", device)
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return fmt.Errorf("mount.nfs: %s: the share's directory %s is not in this container (no kernel NFS client here; "+
			"bind-mount the exported directory into the container at the same path)", device, path)
	}
	// nova-compute's mount point is infra setup's symlink to the export
	// (internal/host.volumePathStep): the share is there already, for
	// this container and for libvirt on the host alike.
	if same, _ := sameDir(path, target); same {
		return nil
	}
	if err := syscall.Mount(path, target, "", syscall.MS_BIND, ""); err != nil {
		return fmt.Errorf("mount.nfs: bind %s on %s: %w", path, target, err)
	}
	return nil
}

// sameDir tells whether a and b lead to the same directory once symlinks
// are followed.
func sameDir(a, b string) (bool, error) {
	ra, err := filepath.EvalSymlinks(a)
	if err != nil {
		return false, err
	}
	rb, err := filepath.EvalSymlinks(b)
	if err != nil {
		return false, err
	}
	return ra == rb, nil
}
