package app

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/stack"
)

// dataDir makes the staged MariaDB data directory, with its system
// database when made is set (a cloud's data exists).
func (h *harness) dataDir(made bool) string {
	h.t.Helper()
	dir := filepath.Join(h.o.Root, "var/lib/hotstack-os/mysql")
	if made {
		dir := filepath.Join(dir, "mysql")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			h.t.Fatal(err)
		}
	}
	return dir
}

// TestAnotherReleaseIsRefusedBeforeAnyChange: data made with one release
// (recorded, or older than the record: Zed) refuses every command that
// would build, install or start another, naming the way forward, and
// leaves every file as it was.
func TestAnotherReleaseIsRefusedBeforeAnyChange(t *testing.T) {
	for name, tc := range map[string]struct {
		env, record, have string
	}{
		"recorded zed, .env's default":   {env: "", record: "zed\n", have: "zed"},
		"data from before the record":    {env: "", record: "", have: "zed"},
		"recorded 2025.1, .env says zed": {env: "OPENSTACK_RELEASE=zed\n", record: "# note\n2025.1\n", have: "2025.1"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, secretEnv+tc.env)
			dir := h.dataDir(true)
			if tc.record != "" {
				if err := os.WriteFile(filepath.Join(dir, releaseFile), []byte(tc.record), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			before := listFiles(t, h.o.Root)
			for verb, run := range map[string]func(context.Context) error{
				"install": h.app.Install, "plan": h.app.Plan, "up": h.app.Up, "images": h.app.ImagesMissing, "check": h.app.Check,
			} {
				err := run(context.Background())
				if err == nil {
					t.Fatalf("%s accepted another release's data", verb)
				}
				for _, want := range []string{"OpenStack " + tc.have, "nothing was changed", "set OPENSTACK_RELEASE=" + tc.have, "mage backup", "HOTSTACK_PURGE=1 mage uninstall"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %q does not say %q", verb, err, want)
					}
				}
			}
			if after := listFiles(t, h.o.Root); !reflect.DeepEqual(names(before), names(after)) {
				t.Fatalf("files changed:\nbefore %v\nafter  %v", names(before), names(after))
			}
		})
	}
}

// TestTheReleaseIsRecordedWithTheData: up records the release beside the
// databases; the same release goes on, and after a purge (no data) any
// release may start afresh.
func TestTheReleaseIsRecordedWithTheData(t *testing.T) {
	h := newHarness(t, secretEnv)
	if err := h.app.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := h.dataDir(true)
	data, err := os.ReadFile(filepath.Join(dir, releaseFile))
	if err != nil || !strings.HasSuffix(string(data), "\n"+stack.DefaultRelease+"\n") {
		t.Fatalf("record %q (%v), want it to name %s", data, err, stack.DefaultRelease)
	}
	if err := h.app.Plan(context.Background()); err != nil {
		t.Fatalf("the same release: %v", err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "mysql")); err != nil { // the databases purged
		t.Fatal(err)
	}
	h.writeEnv(secretEnv + "OPENSTACK_RELEASE=zed\n")
	h.rebuild()
	if err := h.app.Check(context.Background()); err != nil && strings.Contains(err.Error(), "cannot move a cloud") {
		t.Fatalf("no data left, yet refused: %v", err)
	}
}

// names lists the files with their size and time of change.
func names(m map[string]fs.FileInfo) []string {
	var out []string
	for k, fi := range m {
		out = append(out, fmt.Sprintf("%s %d %s", k, fi.Size(), fi.ModTime()))
	}
	slices.Sort(out)
	return out
}
