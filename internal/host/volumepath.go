package host

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/step"
)

// Cinder's NFS backend hands nova a volume as a file on the share
// "127.0.0.1:CINDER_NFS_EXPORT_DIR"; nova-compute "mounts" the share at
// NOVA_NFS_MOUNT_POINT_BASE/<md5 of the share> and gives libvirt the file's
// path there. libvirt runs on the host, so that path must lead to the file
// in the host's mount namespace too. A mount made inside nova-compute's
// container reaches the host only through shared mount propagation, which
// a host (or a test box) whose root mount is private does not give, and
// which stacked a copy of the mount per attachment where it did. So setup
// makes the path a symlink to the export directory, on the host, where
// both libvirt and the container (which mounts both directories at their
// own paths) follow it, and nova-compute's mount.nfs accepts a share that
// is already where nova looks (internal/entrypoint.MountNFS). nova then
// never unmounts it either: it unmounts only what os.path.ismount calls a
// mount point, and a symlink is not one.

// NFSShare is the share Cinder's nfs_shares names for an export directory.
func NFSShare(exportDir string) string { return "127.0.0.1:" + exportDir }

// NovaMountPoint is where nova-compute looks for share's files: nova's
// nfs_mount_point_base joined with the MD5 of the share (nova's
// utils.get_hash_str).
func NovaMountPoint(base, share string) string {
	sum := md5.Sum([]byte(share))
	return filepath.Join(base, hex.EncodeToString(sum[:]))
}

// volumePathStep keeps NovaMountPoint a symlink to the export directory.
func (h *Host) volumePathStep(base, exportDir string) step.Step {
	link := h.path(NovaMountPoint(base, NFSShare(exportDir)))
	target := "volume path " + link
	type state struct {
		cur      string // the link's target; "" when absent
		emptyDir bool   // an empty directory is there (nova made it)
		other    string // something else is there: what
	}
	return observe(target,
		func(context.Context) (state, error) {
			fi, err := os.Lstat(link)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return state{}, nil
			case err != nil:
				return state{}, err
			case fi.Mode()&fs.ModeSymlink != 0:
				cur, err := os.Readlink(link)
				return state{cur: cur}, err
			case fi.IsDir():
				entries, err := os.ReadDir(link)
				if err != nil {
					return state{}, err
				}
				if len(entries) == 0 && !isMountPoint(link) {
					return state{emptyDir: true}, nil
				}
				return state{other: "a directory that is not empty or is a mount point"}, nil
			}
			return state{other: "a " + fi.Mode().Type().String() + " file"}, nil
		},
		func(s state) *step.Change {
			switch {
			case s.cur == exportDir:
				return nil
			case s.other != "":
				return hostChange("update", target, "is "+s.other+"; want a symlink to "+exportDir)
			case s.cur == "" && !s.emptyDir:
				return hostChange("create", target, "symlink to "+exportDir)
			}
			return hostChange("update", target, "symlink to "+exportDir)
		},
		func(_ context.Context, s state) error {
			if s.other != "" {
				return fmt.Errorf("%s is %s; it must be a symlink to %s (nova's mount point for Cinder's volumes): move it away and run setup again", link, s.other, exportDir)
			}
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				return err
			}
			tmp := link + ".hotstack-os-new"
			_ = os.Remove(tmp)
			if err := os.Symlink(exportDir, tmp); err != nil {
				return err
			}
			if s.emptyDir {
				if err := os.Remove(link); err != nil {
					_ = os.Remove(tmp)
					return err
				}
			}
			return os.Rename(tmp, link)
		})
}

// isMountPoint tells whether dir is a mount target in this namespace's
// mountinfo (comparing devices would miss a bind mount from the same
// filesystem).
func isMountPoint(dir string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	return mountinfoHas(data, dir)
}

// mountinfoHas tells whether a mountinfo listing has a mount on dir (the
// fifth field; spaces and other bytes are octal-escaped there).
func mountinfoHas(mountinfo []byte, dir string) bool {
	for _, line := range strings.Split(string(mountinfo), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && unescapeMountinfo(f[4]) == dir {
			return true
		}
	}
	return false
}

func unescapeMountinfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
