package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/safepath"
)

// victim is a directory elsewhere that a planted link points at, as /etc
// would be, holding a file: mode 0700, file content "keep".
func victim(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "victim")
	must(t, os.Mkdir(dir, 0o700))
	must(t, os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte("keep"), 0o600))
	return dir
}

// assertVictimUntouched checks that nothing was created, written, chowned
// or chmodded in dir.
func assertVictimUntouched(t *testing.T, dir string) {
	t.Helper()
	fi := stat(t, dir)
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o700 || fi.Mode()&os.ModeSetgid != 0 || int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
		t.Errorf("%s changed: mode %v owner %d:%d", dir, fi.Mode(), st.Uid, st.Gid)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("%s holds %v (%v)", dir, entries, err)
	}
	if got := read(t, filepath.Join(dir, "resolv.conf")); got != "keep" {
		t.Errorf("written through the link: %q", got)
	}
}

func wantLink(t *testing.T, err error, link string) {
	t.Helper()
	var le *safepath.LinkError
	if !errors.As(err, &le) || le.Link != link {
		t.Fatalf("got %v, want the link %s refused", err, link)
	}
}

// TestDataDirLinkIsNeitherFollowedNorChowned: a link where a data directory
// belongs (NOVA_INSTANCES_PATH, or one a container's user replaced) is
// refused by the check and by the fix, which would otherwise chown and
// chmod its target.
func TestDataDirLinkIsNeitherFollowedNorChowned(t *testing.T) {
	target := victim(t)
	link := filepath.Join(t.TempDir(), "nova-instances")
	must(t, os.Symlink(target, link))
	d := dataDir{Path: link, Mode: novaInstancesMode, UID: os.Getuid(), GID: os.Getgid()}
	_, err := diffDir(link, d)
	wantLink(t, err, link)
	if want := "not following the symbolic link " + link + ": setup sets a data directory's owner and mode, which must not reach where a link points; point the setting at the directory itself"; err.Error() != want {
		t.Errorf("message:\n  %v\nwant\n  %s", err, want)
	}
	wantLink(t, fixDir(link, d, dirDiff{owner: true, mode: true}), link)
	assertVictimUntouched(t, target)
}

// TestSetupRefusesLinksPlantedInTheDataDirectory: in a data directory
// others may write (as a container's user writes its own), a link put where
// setup creates a directory, or on the way to one, stops setup naming it;
// nothing is created, written or chowned where it points.
func TestSetupRefusesLinksPlantedInTheDataDirectory(t *testing.T) {
	for _, planted := range []string{"nova", UpstreamDir, "glance"} {
		t.Run(planted, func(t *testing.T) {
			h, _ := stagedHost(t)
			data := h.path(h.Config.Get("HOTSTACK_DATA_DIR"))
			must(t, os.MkdirAll(data, 0o755))
			must(t, os.Chmod(data, 0o777))
			target := victim(t)
			link := filepath.Join(data, planted)
			must(t, os.Symlink(target, link))
			_, err := h.Setup(context.Background())
			wantLink(t, err, link)
			assertVictimUntouched(t, target)
		})
	}
}
