package config

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/distribution/reference"
)

// textProblem describes why v cannot be a value: every value is valid
// UTF-8 without control characters (systemd drops a unit line that is not
// UTF-8; a control character has no place in any setting).
func textProblem(v string) string {
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Sprintf("value is not valid UTF-8 (byte 0x%02x at offset %d)", v[i], i)
		}
		if unicode.IsControl(r) {
			return fmt.Sprintf("value holds a control character (U+%04X at offset %d)", r, i)
		}
		i += size
	}
	return ""
}

// imageProblem describes why v is not an image reference, by the grammar
// of the distribution reference package (what podman and the registries
// use); "" when it is one.
func imageProblem(v string) string {
	if strings.HasPrefix(v, "-") {
		return "it starts with '-', which podman would take for an option"
	}
	if _, err := reference.Parse(v); err != nil {
		return err.Error()
	}
	return ""
}

// pathChar reports whether a path may hold c: the characters podman's
// --volume (':' and ',' separate its fields), exports(5) (white space,
// '#', quotes and backslash escapes) and Cinder's nfs_shares lines carry
// as they are, and that systemd gives no meaning to ('%' specifiers, '$'
// variables) on a command line.
func pathChar(c rune) bool {
	return c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+@", c))
}

// pathProblem describes why v cannot be a path that hotstack-os creates,
// mounts into containers, exports over NFS and, on purge, deletes.
func pathProblem(v string, system []string) string {
	if !filepath.IsAbs(v) {
		return fmt.Sprintf("%q is not an absolute path", v)
	}
	for _, c := range v {
		if !pathChar(c) {
			return fmt.Sprintf("%q holds %q, which podman's --volume and exports(5) cannot carry; use letters, digits and / . _ - + @", v, c)
		}
	}
	if filepath.Clean(v) != v {
		return fmt.Sprintf("%q is not clean; write %q", v, filepath.Clean(v))
	}
	if msg := systemDirProblem(v, system); msg != "" {
		return msg + "; hotstack-os creates this directory and deletes it on purge: pick a dedicated one, such as /var/lib/hotstack-os"
	}
	return ""
}

func systemDirProblem(v string, system []string) string {
	if slices.Contains(system, v) || filepath.Dir(v) == "/home" {
		return fmt.Sprintf("%q is a system or home directory", v)
	}
	for _, s := range system {
		if strings.HasPrefix(s, v+"/") {
			return fmt.Sprintf("%q holds the system or home directory %s", v, s)
		}
	}
	return ""
}

// SystemDirProblem says why hotstack-os may not delete the directory p: it
// is, or holds, a system or home directory of this host; "" when it may.
func SystemDirProblem(p string) string {
	return systemDirProblem(filepath.Clean(p), systemDirs(passwdHomes()))
}

// systemDirs are the directories a path key may neither be nor hold: the
// file system hierarchy's own, and the home directories.
func systemDirs(homes []string) []string {
	dirs := []string{"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt",
		"/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/include", "/usr/lib",
		"/usr/lib64", "/usr/libexec", "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/local/sbin", "/usr/local/share",
		"/usr/sbin", "/usr/share", "/usr/src", "/var", "/var/backups", "/var/cache", "/var/lib", "/var/lib/containers",
		"/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt", "/var/run", "/var/spool", "/var/tmp"}
	for _, h := range homes {
		if filepath.IsAbs(h) {
			dirs = append(dirs, filepath.Clean(h))
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// passwdHomes are the home directories /etc/passwd names.
func passwdHomes() []string {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Split(sc.Text(), ":"); len(fields) >= 6 && fields[5] != "/nonexistent" {
			out = append(out, fields[5])
		}
	}
	return out
}
