package install

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// readMountInfo returns the mount table of this process's mount namespace
// (what os.RemoveAll would walk into). A variable, so tests can give
// their own table.
var readMountInfo = func() ([]byte, error) { return os.ReadFile("/proc/self/mountinfo") }

// mountPoints returns the mount points of a mountinfo(5) table, unescaped.
func mountPoints(mountinfo []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		// id parent major:minor root mountpoint options ...
		fields := strings.Fields(line)
		if len(fields) < 5 {
			return nil, fmt.Errorf("mountinfo line %d: %d fields, want at least 5: %q", n, len(fields), line)
		}
		out = append(out, unescapeMountPath(fields[4]))
	}
	return out, sc.Err()
}

// unescapeMountPath undoes the kernel's octal escapes in mountinfo paths
// (\040 space, \011 tab, \012 newline, \134 backslash).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountsAtOrUnder returns the mount points of the table that are dir or
// lie below it. Comparing paths, not devices, also finds a bind mount of
// a directory of the same file system, which has the same st_dev as its
// parent.
func mountsAtOrUnder(mountinfo []byte, dir string) ([]string, error) {
	points, err := mountPoints(mountinfo)
	if err != nil {
		return nil, err
	}
	dir = filepath.Clean(dir)
	var out []string
	for _, p := range points {
		if p == dir || strings.HasPrefix(p, dir+"/") || dir == "/" {
			out = append(out, p)
		}
	}
	return out, nil
}

// mountsIn returns the mount points at or below dir, as this process sees
// them. dir is resolved first: the table holds real paths, so a data
// directory reached through a symlink would otherwise match nothing.
func mountsIn(dir string) ([]string, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	table, err := readMountInfo()
	if err != nil {
		return nil, fmt.Errorf("read the mount table: %w", err)
	}
	return mountsAtOrUnder(table, real)
}
