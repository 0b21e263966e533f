package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/safepath"
	"github.com/hotstack-os/hotstack-os/stack"
)

// dataDir is one directory setup keeps, with its mode and owner.
type dataDir struct {
	Path     string
	Mode     fs.FileMode
	UID, GID int
	Owner    string // the image user behind UID, for the table's test
}

// novaInstancesMode keeps instance files in the directory's group: setgid
// rwxrwxr-x (2775), wherever NOVA_INSTANCES_PATH points.
const novaInstancesMode = fs.ModeSetgid | 0o775

// containerDirs are the directories the containers mount, relative to
// HOTSTACK_DATA_DIR, each owned by the image user its service runs as
// (stack.ImageUsers). Keystone's keys are secrets: the directories are
// private to keystone.
func containerDirs() []dataDir {
	owned := func(path string, mode fs.FileMode, user string) dataDir {
		id, _ := stack.UserID(user) // TestDataDirOwnersAreImageUsers
		return dataDir{Path: path, Mode: mode, UID: id, GID: id, Owner: user}
	}
	return []dataDir{
		owned("mysql", 0o750, "mysql"),
		owned("rabbitmq", 0o750, "rabbitmq"),
		owned("keystone/fernet-keys", 0o700, "keystone"),
		owned("keystone/credential-keys", 0o700, "keystone"),
		owned("glance/images", 0o750, "glance"),
		owned("nova", 0o755, "nova"),
		owned("nova-instances", novaInstancesMode, "root"),
		owned("nova-mnt", 0o755, "root"),
		owned("ovn", 0o755, "root"),
		owned("ovn-run", 0o755, "root"),
		owned("cinder", 0o755, "cinder"),
		owned(UpstreamDir, 0o755, "root"),
	}
}

// modeBits are the bits of a directory's mode that setup compares.
func modeBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetgid | fs.ModeSetuid | fs.ModeSticky)
}

// wantMode is the mode setup gives a directory declared with mode.
func wantMode(mode fs.FileMode) fs.FileMode { return mode & (fs.ModePerm | fs.ModeSetgid) }

// dirDiff is how a directory differs from what setup wants.
type dirDiff struct {
	missing, mode, owner bool
	curMode              fs.FileMode
}

// diffDir compares the directory at path with d. A symbolic link there is
// refused: setup would set the owner and mode of wherever it points.
func diffDir(path string, d dataDir) (dirDiff, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return dirDiff{missing: true}, nil
	}
	if err != nil {
		return dirDiff{}, fmt.Errorf("stat %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return dirDiff{}, dataDirLink(path)
	}
	if !fi.IsDir() {
		return dirDiff{}, fmt.Errorf("%s exists and is not a directory", path)
	}
	s := dirDiff{curMode: modeBits(fi.Mode())}
	s.mode = s.curMode != wantMode(d.Mode)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.owner = int(st.Uid) != d.UID || int(st.Gid) != d.GID
	}
	return s, nil
}

// dataDirLink is the refusal of a link where a data directory belongs.
func dataDirLink(path string) error {
	return &safepath.LinkError{Link: path, Why: "setup sets a data directory's owner and mode, which must not reach where a link points; point the setting at the directory itself"}
}

// fixDir creates the directory (and parents, 0755) and corrects its owner
// and mode, as s found needed. It works on the directory it opened, never
// by path: a link planted meanwhile at path, or on the way in a directory
// others may write (a container's), is refused, not followed.
func fixDir(path string, d dataDir, s dirDiff) error {
	dir, err := safepath.MkdirAll(path, 0o755)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer dir.Close()
	if s.missing {
		s.owner, s.mode = true, true
	}
	if s.owner {
		if err := dir.Chown(d.UID, d.GID); err != nil {
			return err
		}
	}
	if s.mode {
		if err := dir.Chmod(wantMode(d.Mode)); err != nil {
			return err
		}
	}
	return nil
}

// labelDiff is what SELinux labelling of the data directory still needs:
// the container_file_t rule, and a relabel of files that lack it.
type labelDiff struct{ ruleMissing, relabel bool }

func labelSpec(dir string) string { return filepath.Clean(dir) + "(/.*)?" }

// diffLabel asks semanage for the rule and restorecon (dry run) for files
// to relabel.
func diffLabel(ctx context.Context, r execx.Runner, dir string) (labelDiff, error) {
	list, _ := execx.Output(ctx, r, "semanage", "fcontext", "-l", "-C")
	d := labelDiff{ruleMissing: !hasLinePrefix(list, labelSpec(dir))}
	out, err := execx.Output(ctx, r, "restorecon", "-R", "-n", "-v", dir)
	if err != nil {
		return d, fmt.Errorf("restorecon %s: %w", dir, err)
	}
	d.relabel = d.ruleMissing || out != ""
	return d, nil
}

// fixLabel adds the rule when missing and relabels.
func fixLabel(ctx context.Context, r execx.Runner, dir string, d labelDiff) error {
	if d.ruleMissing {
		if _, err := r.Run(ctx, execx.Command{Name: "semanage", Args: []string{"fcontext", "-a", "-t", "container_file_t", labelSpec(dir)}}); err != nil {
			return fmt.Errorf("semanage fcontext for %s: %w", dir, err)
		}
	}
	if _, err := execx.Output(ctx, r, "restorecon", "-R", "-v", dir); err != nil {
		return fmt.Errorf("restorecon %s: %w", dir, err)
	}
	return nil
}

func hasLinePrefix(text, prefix string) bool {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(strings.TrimSuffix(line, "\r"), prefix) {
			return true
		}
	}
	return false
}
