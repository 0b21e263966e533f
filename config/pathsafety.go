package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/safepath"
)

// PathInfo is what validation reads of an existing path, without following
// a symbolic link at its end (as lstat).
type PathInfo struct {
	Mode fs.FileMode // type and permission bits, as fs.FileInfo.Mode
	UID  int
	Link string // a symbolic link's target
}

// lookupPath is the real PathInfo of p; an error matching fs.ErrNotExist
// when p does not exist.
func lookupPath(p string) (PathInfo, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return PathInfo{}, err
	}
	info := PathInfo{Mode: fi.Mode(), UID: -1}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		info.UID = int(st.Uid)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		info.Link, err = os.Readlink(p)
	}
	return info, err
}

// maxLinks bounds the symbolic links followed resolving one path (the
// kernel's own limit).
const maxLinks = 40

// dataRoot is the path key whose directory holds what setup creates
// without choosing an owner for it (the containers' directories).
const dataRoot = "HOTSTACK_DATA_DIR"

// checkPaths refuses path keys that someone other than root could redirect
// and path keys nested in one another. paths holds the path keys whose
// values are otherwise valid, in schema order.
func (c *Config) checkPaths(paths []string, lookup func(string) (PathInfo, error), bad func(key, format string, a ...any)) {
	if lookup == nil {
		lookup = lookupPath
	}
	for _, k := range paths {
		if msg := unsafePathProblem(c.values[k], k == dataRoot, lookup); msg != "" {
			bad(k, "%s", msg)
		}
	}
	c.checkNesting(paths, bad)
}

// unsafePathProblem says why root may not create, chown and delete under p:
// a directory on the way to it (p's own too, when self) that someone other
// than root may write, who could then swap a directory for a symbolic link
// and send root's changes anywhere. Directories that do not exist yet are
// fine: root creates them.
func unsafePathProblem(p string, self bool, lookup func(string) (PathInfo, error)) string {
	dir, why, link, err := unsafeDir(p, self, lookup)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot check the directories leading to %q: %v", p, err)
	case dir == "":
		return ""
	}
	where := fmt.Sprintf("%q is under %s, which %s", p, dir, why)
	if dir == p {
		where = fmt.Sprintf("%q %s", p, why)
	}
	if link != "" {
		where += fmt.Sprintf(" (reached through the symbolic link %s)", link)
	}
	return where + ": whoever may write there can put a symbolic link in the path and have root create, chown or delete files elsewhere;" +
		" choose a directory that only root can write, up to /, such as /var/lib/hotstack-os"
}

// unsafeDir walks p from / as the kernel resolves it, following symbolic
// links, and returns the first existing directory on the way that is not
// root's alone, with why, and the first link followed to get there. p's own
// directory is checked only when self: the other path keys' directories are
// chowned by setup, some to be group-writable.
func unsafeDir(p string, self bool, lookup func(string) (PathInfo, error)) (dir, why, link string, err error) {
	cur := "/"
	info, err := lookup(cur)
	if err != nil {
		return "", "", "", err
	}
	if why := notRootOnly(info); why != "" {
		return cur, why, "", nil
	}
	todo := safepath.Components(p)
	for links := 0; len(todo) > 0; {
		name := todo[0]
		todo = todo[1:]
		if name == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, name)
		info, err := lookup(next)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", "", "", nil
		case err != nil:
			return "", "", "", err
		case info.Mode&fs.ModeSymlink != 0:
			if links++; links > maxLinks {
				return "", "", "", fmt.Errorf("more than %d symbolic links", maxLinks)
			}
			if link == "" {
				link = next
			}
			if filepath.IsAbs(info.Link) {
				cur = "/"
			}
			todo = append(safepath.Components(info.Link), todo...)
			continue
		case !info.Mode.IsDir():
			return next, "is not a directory", link, nil
		}
		if len(todo) > 0 || self {
			if why := notRootOnly(info); why != "" {
				return next, why, link, nil
			}
		}
		cur = next
	}
	return "", "", "", nil
}

// notRootOnly says why someone other than root may write the directory
// info describes; "" when only root may.
func notRootOnly(info PathInfo) string {
	switch {
	case info.UID != 0:
		return fmt.Sprintf("belongs to uid %d, not root", info.UID)
	case info.Mode&0o002 != 0:
		return fmt.Sprintf("is world-writable (mode %s)", safepath.ModeString(info.Mode))
	case info.Mode&0o020 != 0:
		return fmt.Sprintf("is group-writable (mode %s)", safepath.ModeString(info.Mode))
	}
	return ""
}

// checkNesting refuses a path key equal to or inside another: each is
// exported, mounted, chowned or purged on its own, so one inside another
// (an NFS export holding the whole data directory) hands the inner one to
// whatever uses the outer. HOTSTACK_DATA_DIR alone may hold the others:
// their defaults are there. Each key is reported once, for the first
// conflict found.
func (c *Config) checkNesting(paths []string, bad func(key, format string, a ...any)) {
	reported := map[string]bool{}
	for i, a := range paths {
		for _, b := range paths[i+1:] {
			// Only the shorter path can hold the other.
			outer, inner := a, b
			if len(c.values[b]) < len(c.values[a]) {
				outer, inner = b, a
			}
			if relation, ok := nesting(c.values[outer], c.values[inner]); ok {
				c.reportNesting(outer, inner, relation, reported, bad)
			}
		}
	}
}

// nesting tells how outer relates to inner: "same", or "holds" when inner
// is below outer; ok is false when neither.
func nesting(outer, inner string) (relation string, ok bool) {
	switch {
	case outer == inner:
		return "same", true
	case strings.HasPrefix(inner, strings.TrimSuffix(outer, "/")+"/"):
		return "holds", true
	}
	return "", false
}

// reportNesting blames the outer key (its content would be shared), unless
// only the inner one is in the file: the written line is the one to change.
func (c *Config) reportNesting(outer, inner, relation string, reported map[string]bool, bad func(key, format string, a ...any)) {
	if relation == "holds" && outer == dataRoot {
		return // by design: the defaults
	}
	blamed, other := outer, inner
	if c.lines[outer] == 0 && c.lines[inner] != 0 {
		blamed, other = inner, outer
	}
	if reported[blamed] {
		return
	}
	reported[blamed] = true
	otherDesc := fmt.Sprintf("%s %q", other, c.values[other])
	if c.lines[other] == 0 {
		otherDesc += " (its default)"
	}
	var msg string
	switch {
	case relation == "same":
		msg = fmt.Sprintf("%q is also %s", c.values[blamed], otherDesc)
	case blamed == outer:
		msg = fmt.Sprintf("%q holds %s", c.values[blamed], otherDesc)
	default:
		msg = fmt.Sprintf("%q is inside %s", c.values[blamed], otherDesc)
	}
	bad(blamed, "%s; each path key needs a directory of its own, outside the others (only %s may hold them)", msg, dataRoot)
}
