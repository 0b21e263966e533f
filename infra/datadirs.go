package infra

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// DataDir is one directory under HOTSTACK_DATA_DIR.
type DataDir struct {
	Rel      string
	Mode     fs.FileMode
	UID, GID int
}

// DataDirs are the directories the containers mount. mysql and rabbitmq
// belong to uid/gid 999, the user the upstream mariadb and rabbitmq images
// run as; nova-instances is setgid so instance files keep the group.
var DataDirs = []DataDir{
	{"mysql", 0o755, 999, 999},
	{"rabbitmq", 0o755, 999, 999},
	{"keystone/fernet-keys", 0o755, 0, 0},
	{"keystone/credential-keys", 0o755, 0, 0},
	{"glance/images", 0o755, 0, 0},
	{"nova", 0o755, 0, 0},
	{"nova-instances", fs.ModeSetgid | 0o775, 0, 0}, // 2775
	{"nova-mnt", 0o755, 0, 0},
	{"ovn", 0o755, 0, 0},
	{"ovn-run", 0o755, 0, 0},
	{"cinder", 0o755, 0, 0},
}

// ensureDir creates dir (and parents, 0755) and corrects its mode and owner.
func ensureDir(path string, mode fs.FileMode, uid, gid int) (bool, error) {
	changed := false
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return false, fmt.Errorf("create %s: %w", path, err)
		}
		changed = true
		fi, err = os.Stat(path)
	}
	if err != nil {
		return changed, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.IsDir() {
		return changed, fmt.Errorf("%s exists and is not a directory", path)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		if err := os.Chown(path, uid, gid); err != nil {
			return changed, fmt.Errorf("chown %s: %w", path, err)
		}
		changed = true
	}
	want := mode & (fs.ModePerm | fs.ModeSetgid)
	if fi.Mode()&(fs.ModePerm|fs.ModeSetgid|fs.ModeSetuid|fs.ModeSticky) != want {
		if err := os.Chmod(path, want); err != nil {
			return changed, fmt.Errorf("chmod %s: %w", path, err)
		}
		changed = true
	}
	return changed, nil
}

// labelForContainers gives dirs the container_file_t SELinux type when the
// host manages SELinux (semanage exists); elsewhere it does nothing.
func labelForContainers(ctx context.Context, r execx.Runner, dir string) (bool, error) {
	if _, err := exec.LookPath("semanage"); err != nil {
		return false, nil
	}
	spec := filepath.Clean(dir) + "(/.*)?"
	list, _ := execx.Output(ctx, r, "semanage", "fcontext", "-l", "-C")
	changed := false
	if !containsLine(list, spec) {
		if _, err := r.Run(ctx, execx.Command{Name: "semanage", Args: []string{"fcontext", "-a", "-t", "container_file_t", spec}}); err != nil {
			return false, fmt.Errorf("semanage fcontext for %s: %w", dir, err)
		}
		changed = true
	}
	out, err := execx.Output(ctx, r, "restorecon", "-R", "-v", dir)
	if err != nil {
		return changed, fmt.Errorf("restorecon %s: %w", dir, err)
	}
	return changed || out != "", nil
}

func containsLine(text, prefix string) bool {
	for _, l := range splitLines([]byte(text)) {
		if len(l.text) >= len(prefix) && l.text[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}
