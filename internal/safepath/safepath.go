// Package safepath opens directories for root so that nobody else can
// redirect it with a symbolic link. Root creates, chowns and writes below
// directories that other users write (a container's data directory belongs
// to its service user, /tmp to everyone): a link planted there would send
// root's change to any file of the host.
//
// A path is resolved one name at a time, each opened with O_NOFOLLOW. A
// symbolic link on the way is followed only when the directory holding it
// may be written by root, or this process's user, alone: then only they
// could have made it (/var/run -> /run is followed; a link in a directory
// nova's container owns is not). The kernel's RESOLVE_NO_SYMLINKS would
// refuse the first kind too.
package safepath

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// LinkError is a symbolic link that was not followed.
type LinkError struct {
	Link string // the link's path
	Why  string
}

func (e *LinkError) Error() string {
	return fmt.Sprintf("not following the symbolic link %s: %s", e.Link, e.Why)
}

// maxLinks bounds the links followed resolving one path, as the kernel's
// own limit does.
const maxLinks = 40

// OpenDir opens the directory path, following a symbolic link on the way
// (path's last name too) only where the directory holding it is root's
// or this process's user's alone. The file is named by the directory's
// path as resolved (no links in it), and may serve the *at system calls.
func OpenDir(path string) (*os.File, error) {
	return walk(path, false, 0)
}

// MkdirAll opens the directory path as OpenDir does, creating it and its
// missing parents with perm (less the umask). path itself is never a link
// to a directory: its owner and mode are the caller's to set, through the
// file returned, so they reach that directory and no other.
func MkdirAll(path string, perm fs.FileMode) (*os.File, error) {
	return walk(path, true, perm)
}

// ReadLink returns the target of the symbolic link name in dir, when dir
// is root's or this process's user's alone; a *LinkError otherwise.
func ReadLink(dir *os.File, name string) (string, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(dir.Fd()), &st); err != nil {
		return "", &fs.PathError{Op: "stat", Path: dir.Name(), Err: err}
	}
	link := filepath.Join(dir.Name(), name)
	if why := othersMayWrite(&st); why != "" {
		return "", &LinkError{Link: link, Why: fmt.Sprintf("%s %s, so someone other than root may have put it there", dir.Name(), why)}
	}
	return readlinkat(int(dir.Fd()), name, link)
}

// othersMayWrite says why users other than root and this process's may
// write the directory st describes; "" when none may.
func othersMayWrite(st *unix.Stat_t) string {
	switch {
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return fmt.Sprintf("belongs to uid %d", st.Uid)
	case st.Mode&0o002 != 0:
		return "is world-writable"
	case st.Mode&0o020 != 0:
		return "is group-writable"
	}
	return ""
}

// walker is a path resolution under way: the directory reached, as an
// O_PATH descriptor, and its path.
type walker struct {
	fd     int
	at     string
	links  int
	create bool
	perm   fs.FileMode
}

func walk(path string, create bool, perm fs.FileMode) (*os.File, error) {
	start := "."
	if filepath.IsAbs(path) {
		start = "/"
	}
	w := &walker{fd: -1, create: create, perm: perm}
	if err := w.restart(start); err != nil {
		return nil, err
	}
	defer func() { unix.Close(w.fd) }()
	todo := Components(path)
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		target, isLink, err := w.step(name)
		if err != nil {
			return nil, err
		}
		if !isLink {
			continue
		}
		link := filepath.Join(w.at, name)
		if create && len(todo) == 0 {
			return nil, &LinkError{Link: link, Why: "the directory itself is wanted here, to set its owner and mode"}
		}
		if err := w.follow(link, target); err != nil {
			return nil, err
		}
		todo = append(Components(target), todo...)
	}
	fd, err := unix.Openat(w.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: w.at, Err: err}
	}
	return os.NewFile(uintptr(fd), w.at), nil
}

// restart moves the walk to the directory dir ("/" or ".").
func (w *walker) restart(dir string) error {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	w.enter(fd, dir)
	return nil
}

func (w *walker) enter(fd int, at string) {
	if w.fd >= 0 {
		unix.Close(w.fd)
	}
	w.fd, w.at = fd, at
}

// step enters the directory name, creating it when the walk creates; a
// symbolic link is not entered but returned, with its target.
func (w *walker) step(name string) (target string, isLink bool, err error) {
	next := filepath.Join(w.at, name)
	for created := false; ; created = true {
		fd, err := unix.Openat(w.fd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		switch {
		case err == nil:
			w.enter(fd, next)
			return "", false, nil
		case errors.Is(err, unix.ENOENT) && w.create && !created:
			if err := unix.Mkdirat(w.fd, name, uint32(w.perm.Perm())); err != nil && !errors.Is(err, unix.EEXIST) {
				return "", false, &fs.PathError{Op: "mkdir", Path: next, Err: err}
			}
			continue
		case errors.Is(err, unix.ENOTDIR):
			// O_NOFOLLOW|O_DIRECTORY says ENOTDIR for a link too.
			var st unix.Stat_t
			if unix.Fstatat(w.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				target, err := readlinkat(w.fd, name, next)
				return target, err == nil, err
			}
		}
		return "", false, &fs.PathError{Op: "open", Path: next, Err: err}
	}
}

// follow moves the walk to where the link points, when the directory
// holding it is trusted.
func (w *walker) follow(link, target string) error {
	if w.links++; w.links > maxLinks {
		return &fs.PathError{Op: "open", Path: link, Err: unix.ELOOP}
	}
	var st unix.Stat_t
	if err := unix.Fstat(w.fd, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: w.at, Err: err}
	}
	if why := othersMayWrite(&st); why != "" {
		return &LinkError{Link: link, Why: fmt.Sprintf("%s %s, so someone other than root may have put it there", w.at, why)}
	}
	if filepath.IsAbs(target) {
		return w.restart("/")
	}
	return nil
}

func readlinkat(dirfd int, name, path string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: path, Err: err}
	}
	return string(buf[:n]), nil
}

// Components are the names of p, without empty ones and ".".
func Components(p string) []string {
	var out []string
	for name := range strings.SplitSeq(p, "/") {
		if name != "" && name != "." {
			out = append(out, name)
		}
	}
	return out
}

// ModeString shows a mode as chmod takes it (1777 for /tmp, 2775 for a
// setgid rwxrwxr-x).
func ModeString(m fs.FileMode) string {
	n := uint32(m.Perm())
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	return fmt.Sprintf("%04o", n)
}
