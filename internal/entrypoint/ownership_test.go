package entrypoint

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/safepath"
)

// planted is a directory anyone may write (a service user's volume, to
// root in the container) holding a link name to a victim directory, whose
// file "f" holds "keep"; it returns the directory and the victim.
func planted(t *testing.T, name string) (dir, victim string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "var-lib-nova")
	mustDo(t, os.Mkdir(dir, 0o777))
	mustDo(t, os.Chmod(dir, 0o777))
	victim = filepath.Join(t.TempDir(), "victim")
	mustDo(t, os.Mkdir(victim, 0o700))
	mustDo(t, os.WriteFile(filepath.Join(victim, "f"), []byte("keep"), 0o600))
	mustDo(t, os.Symlink(victim, filepath.Join(dir, name)))
	return dir, victim
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func assertVictimUntouched(t *testing.T, victim string) {
	t.Helper()
	fi, err := os.Stat(victim)
	mustDo(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o700 || int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
		t.Errorf("%s changed: mode %v owner %d:%d", victim, fi.Mode(), st.Uid, st.Gid)
	}
	data, err := os.ReadFile(filepath.Join(victim, "f"))
	if err != nil || string(data) != "keep" {
		t.Errorf("%s/f: %q %v", victim, data, err)
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 1 {
		t.Errorf("%s holds %v", victim, entries)
	}
}

func wantLinkRefused(t *testing.T, err error, link string) {
	t.Helper()
	var le *safepath.LinkError
	if !errors.As(err, &le) || le.Link != link {
		t.Fatalf("got %v, want the link %s refused", err, link)
	}
}

// TestOwnRefusesALinkTheServiceUserPlanted: nova replaced /var/lib/nova/tmp
// by a link; on the next start Own neither chowns nor chmods its target,
// nor creates anything below it.
func TestOwnRefusesALinkTheServiceUserPlanted(t *testing.T) {
	if _, err := credential("nobody"); err != nil {
		t.Skip(err)
	}
	dir, victim := planted(t, "tmp")
	wantLinkRefused(t, Own(filepath.Join(dir, "tmp"), "nobody", 0o755), filepath.Join(dir, "tmp"))
	wantLinkRefused(t, Own(filepath.Join(dir, "tmp", "sub"), "nobody", 0o755), filepath.Join(dir, "tmp"))
	assertVictimUntouched(t, victim)
}

// TestWriteFileNeverWritesThroughALink: neither a link at the file nor one
// at the old fixed temporary name (path + ".tmp") is written through.
func TestWriteFileNeverWritesThroughALink(t *testing.T) {
	dir, victim := planted(t, "nova.conf")
	err := writeFile(filepath.Join(dir, "nova.conf"), "[DEFAULT]\n", 0o640, os.Getgid())
	wantLinkRefused(t, err, filepath.Join(dir, "nova.conf"))
	assertVictimUntouched(t, victim)
	if os.Geteuid() != 0 {
		t.Skip("writeFile gives its files to root")
	}
	mustDo(t, os.Symlink(filepath.Join(victim, "f"), filepath.Join(dir, "logging.conf.tmp")))
	mustDo(t, writeFile(filepath.Join(dir, "logging.conf"), "[loggers]\n", 0o640, os.Getgid()))
	assertVictimUntouched(t, victim)
	fi, err := os.Lstat(filepath.Join(dir, "logging.conf"))
	mustDo(t, err)
	if st := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o640 || int(st.Gid) != os.Getgid() {
		t.Errorf("logging.conf: mode %v gid %d", fi.Mode(), st.Gid)
	}
}

// TestOwnMakesTheDirectory: created with its mode and owner (as root).
func TestOwnMakesTheDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown needs root")
	}
	p := filepath.Join(t.TempDir(), "var/lib/glance/images")
	mustDo(t, Own(p, "root", 0o750))
	fi, err := os.Lstat(p)
	mustDo(t, err)
	if st := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || fi.Mode().Perm() != 0o750 || st.Uid != 0 || st.Gid != 0 {
		t.Errorf("%s: mode %v owner %d:%d", p, fi.Mode(), st.Uid, st.Gid)
	}
}
