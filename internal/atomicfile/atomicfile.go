// Package atomicfile writes files so that a reader sees either the old or the
// new content, never a mix, and a failed write leaves the old file intact.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options controls how Write treats the file's metadata.
type Options struct {
	// Perm is the mode of a newly created file, and of an existing one
	// unless KeepMeta is set.
	Perm fs.FileMode
	// KeepMeta keeps an existing file's mode, owner and SELinux label
	// (used for host files such as /etc/hosts that we edit, not own).
	KeepMeta bool

	// rename replaces os.Rename in tests, to provoke the bind-mount
	// fallback.
	rename func(oldpath, newpath string) error
}

const selinuxXattr = "security.selinux"

// Write makes path hold data. It follows a symlink to its target (the link
// itself is never replaced), creates the file through a temporary file in the
// same directory (fsync, rename, fsync of the directory), and falls back to
// an in-place write guarded by a backup when rename fails with EBUSY, which
// is what a bind-mounted file (such as /etc/hosts in a container) returns.
//
// It returns changed=false and touches nothing when the file already holds
// data with the wanted mode.
func Write(path string, data []byte, opt Options) (changed bool, err error) {
	target, err := resolve(path)
	if err != nil {
		return false, err
	}
	perm := opt.Perm
	var old os.FileInfo
	if fi, statErr := os.Stat(target); statErr == nil {
		old = fi
		if opt.KeepMeta {
			perm = fi.Mode().Perm() | (fi.Mode() & (fs.ModeSetgid | fs.ModeSetuid | fs.ModeSticky))
		}
		cur, readErr := os.ReadFile(target)
		if readErr == nil && bytes.Equal(cur, data) && fi.Mode().Perm() == perm.Perm() {
			return false, nil
		}
	} else if !errors.Is(statErr, fs.ErrNotExist) {
		return false, fmt.Errorf("stat %s: %w", target, statErr)
	}

	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("create temp file for %s: %w", target, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmpName)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err = tmp.Chmod(perm); err != nil {
		tmp.Close()
		return false, fmt.Errorf("chmod %s: %w", tmpName, err)
	}
	if old != nil && opt.KeepMeta {
		if err = copyMeta(tmp, target, old); err != nil {
			tmp.Close()
			return false, err
		}
	}
	if err = tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("fsync %s: %w", tmpName, err)
	}
	if err = tmp.Close(); err != nil {
		return false, fmt.Errorf("close %s: %w", tmpName, err)
	}
	rename := opt.rename
	if rename == nil {
		rename = os.Rename
	}
	if err = rename(tmpName, target); err != nil {
		if !errors.Is(err, syscall.EBUSY) {
			return false, fmt.Errorf("rename %s to %s: %w", tmpName, target, err)
		}
		_ = os.Remove(tmpName)
		if err = writeInPlace(target, data); err != nil {
			return false, err
		}
		return true, nil
	}
	return true, syncDir(dir)
}

// resolve follows symlinks so that we edit the file a link points to.
func resolve(path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err == nil {
		return target, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	// A dangling link: write where it points.
	if dest, lerr := os.Readlink(path); lerr == nil {
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		return dest, nil
	}
	return path, nil
}

func copyMeta(tmp *os.File, target string, old os.FileInfo) error {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
			return fmt.Errorf("chown %s: %w", tmp.Name(), err)
		}
		// chown clears setgid/setuid; put the mode back.
		if err := tmp.Chmod(old.Mode().Perm() | (old.Mode() & (fs.ModeSetgid | fs.ModeSetuid | fs.ModeSticky))); err != nil {
			return fmt.Errorf("chmod %s: %w", tmp.Name(), err)
		}
	}
	label := make([]byte, 256)
	n, err := unix.Getxattr(target, selinuxXattr, label)
	if err != nil || n == 0 {
		return nil // no SELinux label to keep
	}
	if err := unix.Fsetxattr(int(tmp.Fd()), selinuxXattr, label[:n], 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
		return fmt.Errorf("set SELinux label on %s: %w", tmp.Name(), err)
	}
	return nil
}

// writeInPlace rewrites a file that cannot be replaced (a bind mount). A
// backup beside it holds the old content until the new content is synced,
// so a crash midway leaves a copy to restore from.
func writeInPlace(target string, data []byte) error {
	old, err := os.ReadFile(target)
	if err != nil {
		return fmt.Errorf("read %s: %w", target, err)
	}
	backup := target + ".hotstack-os.bak"
	if err := os.WriteFile(backup, old, 0o600); err != nil {
		return fmt.Errorf("write backup %s: %w", backup, err)
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
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
	return os.Remove(backup)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
