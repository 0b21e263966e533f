package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPathsReachEachUseIntact: a data directory using every character a
// path may hold (config refuses the others) arrives whole in each of its
// uses: podman's --volume (split at ':'), the unit's command line (split at
// white space), exports(5) (fields split at white space) and Cinder's
// nfs_shares (host:path).
func TestPathsReachEachUseIntact(t *testing.T) {
	staging(t)
	dir := "/srv/Hot.Stack_data-1+x@y"
	h := newHarness(t, secretEnv+"HOTSTACK_DATA_DIR="+dir+"\n")
	h.install()
	if err := h.app.InfraSetup(context.Background()); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(h.o.Root, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	volumes := 0
	for _, unit := range []string{"hotstack-os-mariadb.service", "hotstack-os-nova-compute.service", "hotstack-os-cinder-volume.service"} {
		for _, line := range strings.Split(read("etc/systemd/system/"+unit), "\n") {
			if !strings.HasPrefix(line, "ExecStart=") {
				continue
			}
			words := strings.Fields(line)
			for i, w := range words {
				if w != "--volume" || !strings.Contains(words[i+1], dir) {
					continue
				}
				volumes++
				src, _, _ := strings.Cut(words[i+1], ":")
				if !strings.HasPrefix(src, dir+"/") {
					t.Errorf("%s: --volume %s: podman reads the source as %q", unit, words[i+1], src)
				}
			}
		}
	}
	if volumes < 5 {
		t.Fatalf("only %d volumes under %s found", volumes, dir)
	}
	host, path, _ := strings.Cut(strings.TrimSpace(read("srv/Hot.Stack_data-1+x@y/runtime/config/cinder/nfs_shares")), ":")
	if host != "127.0.0.1" || path != dir+"/cinder-nfs" {
		t.Errorf("nfs_shares: host %q path %q", host, path)
	}
}
