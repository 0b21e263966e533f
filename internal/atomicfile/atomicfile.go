// Package atomicfile writes files so that a reader sees either the old or the
// new content, never a mix, and a failed write leaves the old file intact.
//
// Root writes some of these files in directories others write (a
// container's data directory), so nothing is done by path after the
// directory is opened: the file is read, created and renamed relative to
// the directory's descriptor, with O_NOFOLLOW. The directory itself is
// reached through internal/safepath, which follows a symbolic link only
// where nobody but root could have made it.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/hotstack-os/hotstack-os/internal/safepath"
)

// Options controls how Write treats the file's metadata.
type Options struct {
	// Perm is the mode of a newly created file, and of an existing one
	// unless KeepMeta is set.
	Perm fs.FileMode
	// KeepMeta keeps an existing file's mode, owner and SELinux label
	// (used for host files such as /etc/hosts that we edit, not own).
	KeepMeta bool
	// Owner, when set, owns the file (an existing file owned otherwise is
	// rewritten); without it a new file belongs to the writer.
	Owner *Owner

	// renameat replaces unix.Renameat within one directory in tests, to
	// provoke the bind-mount fallback.
	renameat func(dirfd int, oldname, newname string) error
}

// Owner is a file's user and group.
type Owner struct{ UID, GID int }

const selinuxXattr = "security.selinux"

// maxLinks bounds the links followed at the path, as the kernel's own
// limit does.
const maxLinks = 40

// Write makes path hold data. It creates the file through a temporary file
// in the same directory (fsync, rename, fsync of the directory), and falls
// back to an in-place write guarded by a backup when rename fails with
// EBUSY, which is what a bind-mounted file (such as /etc/hosts in a
// container) returns.
//
// A symbolic link at path, like one on the way, is followed to its target
// (the link itself is never replaced) only where nobody but root could
// have made it: an administrator's /etc/hosts or clouds.yaml may be one.
// Where others may write (a container's data directory, /tmp) it is
// refused, naming it: it may have been put there to have root write
// elsewhere.
//
// It returns changed=false and touches nothing when the file already holds
// data with the wanted mode (and owner).
func Write(path string, data []byte, opt Options) (changed bool, err error) {
	dir, name, err := openParent(path)
	if err != nil {
		return false, err
	}
	defer dir.Close()
	cur, err := readCurrent(dir, name)
	if err != nil {
		return false, err
	}
	perm := opt.Perm
	if cur != nil && opt.KeepMeta {
		perm = cur.mode
	}
	if cur != nil && cur.holds(data, perm, opt.Owner) {
		return false, nil
	}
	tmpName, err := writeTemp(dir, name, data, perm, opt, cur)
	if err != nil {
		return false, err
	}
	rename := opt.renameat
	if rename == nil {
		rename = func(dirfd int, oldname, newname string) error { return unix.Renameat(dirfd, oldname, dirfd, newname) }
	}
	if err := rename(int(dir.Fd()), tmpName, name); err != nil {
		_ = unix.Unlinkat(int(dir.Fd()), tmpName, 0)
		if !errors.Is(err, syscall.EBUSY) {
			return false, fmt.Errorf("rename %s to %s: %w", in(dir, tmpName), in(dir, name), err)
		}
		if err := writeInPlace(dir, name, data); err != nil {
			return false, err
		}
		return true, nil
	}
	return true, syncDir(dir)
}

// in is name's path in dir, for messages.
func in(dir *os.File, name string) string { return filepath.Join(dir.Name(), name) }

// openParent opens the directory that holds path's file, and names the
// file there, following a link at path where nobody but root could have
// made it. A dangling link is followed too: the file is created where it
// points.
func openParent(path string) (*os.File, string, error) {
	for links := 0; ; links++ {
		dir, err := safepath.OpenDir(filepath.Dir(path))
		if err != nil {
			return nil, "", err
		}
		name := filepath.Base(path)
		var st unix.Stat_t
		if err := unix.Fstatat(int(dir.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
			return dir, name, nil // a missing file is created; other errors come with reading it
		}
		target, err := safepath.ReadLink(dir, name)
		dir.Close()
		if err != nil {
			return nil, "", err
		}
		if links >= maxLinks {
			return nil, "", &fs.PathError{Op: "open", Path: path, Err: unix.ELOOP}
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir.Name(), target)
		}
		path = target
	}
}

// current is the file being replaced.
type current struct {
	data     []byte
	mode     fs.FileMode // permission and setuid, setgid, sticky bits
	uid, gid int
	label    []byte // SELinux label; nil without one
}

// holds reports whether the file already is what a write would make it.
func (c *current) holds(data []byte, perm fs.FileMode, owner *Owner) bool {
	if owner != nil && (c.uid != owner.UID || c.gid != owner.GID) {
		return false
	}
	return bytes.Equal(c.data, data) && c.mode.Perm() == perm.Perm()
}

// readCurrent reads the file name in dir; nil when there is none.
func readCurrent(dir *os.File, name string) (*current, error) {
	f, err := openAt(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s is not a regular file", f.Name())
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	c := &current{data: data, mode: fileMode(st.Mode), uid: int(st.Uid), gid: int(st.Gid)}
	label := make([]byte, 256)
	if n, err := unix.Fgetxattr(int(f.Fd()), selinuxXattr, label); err == nil && n > 0 {
		c.label = label[:n]
	}
	return c, nil
}

// fileMode turns a stat mode into the bits of fs.FileMode Write keeps.
func fileMode(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&unix.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// openAt opens name in dir with flags, never through a link at name.
func openAt(dir *os.File, name string, flags int, perm uint32) (*os.File, error) {
	fd, err := unix.Openat(int(dir.Fd()), name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: in(dir, name), Err: err}
	}
	return os.NewFile(uintptr(fd), in(dir, name)), nil
}

// writeTemp writes data to a new temporary file beside name, with its
// final mode, owner and label, synced; it returns the temporary name.
func writeTemp(dir *os.File, name string, data []byte, perm fs.FileMode, opt Options, cur *current) (string, error) {
	tmp, tmpName, err := createTemp(dir, name)
	if err != nil {
		return "", err
	}
	err = fill(tmp, data, perm, opt, cur)
	if closeErr := tmp.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("close %s: %w", tmp.Name(), closeErr)
	}
	if err != nil {
		_ = unix.Unlinkat(int(dir.Fd()), tmpName, 0)
		return "", err
	}
	return tmpName, nil
}

// createTemp creates a file of a name nobody has yet in dir (O_EXCL: a
// link planted under the name fails it), mode 0600 until filled.
func createTemp(dir *os.File, name string) (*os.File, string, error) {
	for {
		tmpName := "." + name + ".tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		f, err := openAt(dir, tmpName, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create temp file for %s: %w", in(dir, name), err)
		}
		return f, tmpName, nil
	}
}

// fill writes data and the metadata: owner first, as chown clears setgid
// and setuid.
func fill(tmp *os.File, data []byte, perm fs.FileMode, opt Options, cur *current) error {
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	owner := opt.Owner
	if owner == nil && opt.KeepMeta && cur != nil {
		owner = &Owner{UID: cur.uid, GID: cur.gid}
	}
	if owner != nil {
		if err := tmp.Chown(owner.UID, owner.GID); err != nil {
			return fmt.Errorf("chown %s: %w", tmp.Name(), err)
		}
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
	}
	if opt.KeepMeta && cur != nil && cur.label != nil {
		if err := unix.Fsetxattr(int(tmp.Fd()), selinuxXattr, cur.label, 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("set SELinux label on %s: %w", tmp.Name(), err)
		}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp.Name(), err)
	}
	return nil
}

// writeInPlace rewrites a file that cannot be replaced (a bind mount). A
// backup beside it holds the old content until the new content is synced,
// so a crash midway leaves a copy to restore from.
func writeInPlace(dir *os.File, name string, data []byte) error {
	target := in(dir, name)
	cur, err := readCurrent(dir, name)
	if err != nil {
		return err
	}
	if cur == nil {
		return fmt.Errorf("read %s: %w", target, fs.ErrNotExist)
	}
	backupName := name + ".hotstack-os.bak"
	backup := in(dir, backupName)
	if err := writeBackup(dir, backupName, cur.data); err != nil {
		return fmt.Errorf("write backup %s: %w", backup, err)
	}
	f, err := openAt(dir, name, unix.O_WRONLY|unix.O_TRUNC, 0)
	if err != nil {
		return fmt.Errorf("open %s for in-place write (backup kept at %s): %w", target, backup, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("in-place write of %s failed (backup kept at %s): %w", target, backup, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s (backup kept at %s): %w", target, backup, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s (backup kept at %s): %w", target, backup, err)
	}
	if err := unix.Unlinkat(int(dir.Fd()), backupName, 0); err != nil {
		return fmt.Errorf("remove %s: %w", backup, err)
	}
	return nil
}

// writeBackup replaces an old backup (or whatever has its name) by a new
// file, mode 0600.
func writeBackup(dir *os.File, name string, data []byte) error {
	if err := unix.Unlinkat(int(dir.Fd()), name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	f, err := openAt(dir, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir *os.File) error {
	if err := dir.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("fsync %s: %w", dir.Name(), err)
	}
	return nil
}
