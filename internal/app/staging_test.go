package app

// Integration tests of install, uninstall, purge and infra:cleanup on a
// staging root (HOTSTACK_ROOT): what they write, what they leave, and what
// they must never touch.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

// tree is every entry below root: path -> "dir", "file <mode> <content>"
// or "link <target>", to compare a root before and after.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			out[rel] = fmt.Sprintf("dir %v", fi.Mode())
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("file %v %s", fi.Mode(), data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, v := range after {
		if b, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		} else if b != v {
			t.Errorf("%s: %s changed", what, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			t.Errorf("%s: %s disappeared", what, p)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func staging(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test on a staging root; skipped with -short")
	}
}

// TestInstallThenUninstallLeavesTheRootEmpty: the rendered configs are in
// the manifest and the directories install created are removed with them.
func TestInstallThenUninstallLeavesTheRootEmpty(t *testing.T) {
	staging(t)
	h := newHarness(t, secretEnv)
	ctx := context.Background()
	h.install()
	if _, err := os.Stat(filepath.Join(h.o.Root, "var/lib/hotstack-os/runtime/config/keystone/keystone.conf")); err != nil {
		t.Fatalf("configs not rendered: %v", err)
	}
	if err := h.app.Uninstall(ctx); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, h.logs.String())
	}
	if left := tree(t, h.o.Root); len(left) != 1 { // the root itself
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range left {
				if !yield(k) {
					return
				}
			}
		})
		t.Fatalf("uninstall left %d entries:\n%s", len(left)-1, strings.Join(keys, "\n"))
	}
}

// TestInstallIsAllOrNothing: whatever fails, the root is as it was.
func TestInstallIsAllOrNothing(t *testing.T) {
	staging(t)
	ctx := context.Background()
	t.Run("helper build fails", func(t *testing.T) {
		h := newHarness(t, secretEnv)
		h.o.BuildHelper = func(context.Context) ([]byte, error) {
			return nil, errors.New(`exec: "go": executable file not found in $PATH`)
		}
		h.rebuild()
		before := tree(t, h.o.Root)
		if err := h.app.Install(ctx); err == nil || !strings.Contains(err.Error(), `"go"`) {
			t.Fatalf("install: %v", err)
		}
		sameTree(t, "after a failed helper build", before, tree(t, h.o.Root))
	})
	t.Run("manifest unreadable", func(t *testing.T) {
		h := newHarness(t, secretEnv)
		if err := os.MkdirAll(filepath.Join(h.o.Root, "etc/hotstack-os/manifest"), 0o755); err != nil {
			t.Fatal(err)
		}
		before := tree(t, h.o.Root)
		if err := h.app.Install(ctx); err == nil || !strings.Contains(err.Error(), "manifest") {
			t.Fatalf("install: %v", err)
		}
		sameTree(t, "after an unreadable manifest", before, tree(t, h.o.Root))
	})
	t.Run("etc is a file", func(t *testing.T) {
		h := newHarness(t, secretEnv)
		writeFile(t, filepath.Join(h.o.Root, "etc"), "not a directory\n")
		before := tree(t, h.o.Root)
		if err := h.app.Install(ctx); err == nil {
			t.Fatal("install succeeded with etc a file")
		}
		sameTree(t, "after etc was a file", before, tree(t, h.o.Root))
	})
	t.Run("a late write fails after others succeeded", func(t *testing.T) {
		h := newHarness(t, secretEnv)
		h.install()
		if err := os.WriteFile(h.o.EnvFile, []byte(secretEnv+"REGION_NAME=RegionTwo\nDB_PASSWORD=changed\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		h.rebuild()
		// The helper goes last: make its directory a file.
		bin := filepath.Join(h.o.Root, "usr/local/bin")
		if err := os.RemoveAll(bin); err != nil {
			t.Fatal(err)
		}
		writeFile(t, bin, "in the way\n")
		before := tree(t, h.o.Root)
		err := h.app.Install(ctx)
		if err == nil || !strings.Contains(err.Error(), "restored") {
			t.Fatalf("install: %v", err)
		}
		sameTree(t, "after a late write failed", before, tree(t, h.o.Root))
	})
}

// TestConfigTemplatesMustExist: a template directory that does not exist
// is an error naming its variable, and units never mount a config file
// that was not rendered.
func TestConfigTemplatesMustExist(t *testing.T) {
	staging(t)
	h := newHarness(t, secretEnv)
	h.o.ConfigsDir = filepath.Join(t.TempDir(), "nowhere")
	h.rebuild()
	err := h.app.Install(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HOTSTACK_CONFIGS_DIR") {
		t.Fatalf("install: %v", err)
	}
	h = newHarness(t, secretEnv)
	partial := t.TempDir()
	writeFile(t, filepath.Join(partial, "keystone/keystone.conf"), "[DEFAULT]\n")
	h.o.ConfigsDir = partial
	h.o.ScriptsDir = t.TempDir()
	h.rebuild()
	err = h.app.Install(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/var/lib/hotstack-os/runtime/config/nova/nova.conf") || !strings.Contains(err.Error(), partial) {
		t.Fatalf("install with an incomplete template tree: %v", err)
	}
	if left := tree(t, h.o.Root); len(left) > 1 {
		t.Fatalf("install wrote %d entries", len(left)-1)
	}
}

// TestPurgeDeletesOnlyWhatHotstackCreated plants sentinel files beside and
// above the data directory, and data of the operator's own inside and in a
// directory that existed before setup; purge removes exactly what install
// and setup created.
func TestPurgeDeletesOnlyWhatHotstackCreated(t *testing.T) {
	staging(t)
	ctx := context.Background()
	h := newHarness(t, secretEnv+"CINDER_NFS_EXPORT_DIR=/srv/nfs\n")
	root := h.o.Root
	sentinels := map[string]string{
		"var/sentinel-above":             "above",
		"var/lib/sentinel-beside":        "beside",
		"var/lib/dpkg/status":            "dpkg",
		"var/lib/hotstack-os-other/keep": "similar name",
		"srv/nfs/operator-volume":        "pre-existing export directory",
		"etc/hosts":                      "127.0.0.1 localhost\n",
	}
	for p, c := range sentinels {
		writeFile(t, filepath.Join(root, p), c)
	}
	h.install()
	if err := h.app.InfraSetup(ctx); err != nil {
		t.Fatalf("setup: %v\n%s", err, h.logs.String())
	}
	writeFile(t, filepath.Join(root, "var/lib/hotstack-os/mysql/ibdata1"), "database") // container data
	writeFile(t, filepath.Join(root, "var/lib/hotstack-os/notes.txt"), "operator's")   // not ours
	// Deleted by hand: purge forgets it and does not claim to purge it.
	if err := os.RemoveAll(filepath.Join(root, "var/lib/hotstack-os/rabbitmq")); err != nil {
		t.Fatal(err)
	}

	h.o.Purge, h.o.PurgeConfirmed = true, true
	h.rebuild()
	h.logs.Reset()
	if err := h.app.InfraCleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Uninstall(ctx); err != nil {
		t.Fatalf("purge: %v\n%s", err, h.logs.String())
	}
	for p, c := range sentinels {
		if data, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(data) != c {
			t.Errorf("sentinel %s: %q %v", p, data, err)
		}
	}
	for _, gone := range []string{"var/lib/hotstack-os/mysql", "var/lib/hotstack-os/runtime", "var/lib/hotstack-os/keystone", "etc/hotstack-os", "etc/systemd/system/hotstack-os.target", "usr/local/bin/hotstack-os", "etc/exports"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("purge left %s (%v)", gone, err)
		}
	}
	logs := h.logs.String()
	for _, want := range []string{
		"kept /var/lib/hotstack-os: it holds notes.txt, which hotstack-os did not create",
		"refusing to delete /srv/nfs: hotstack-os did not create it",
		`"path":"/var/lib/hotstack-os/rabbitmq","message":"forgot data directory: it no longer exists"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("purge did not say %q:\n%s", want, logs)
		}
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "purged") && strings.Contains(line, "rabbitmq") {
			t.Errorf("purge claims to have purged a directory that was gone: %s", line)
		}
	}
}

// TestUninstallSaysWhatItKept: without purge, uninstall names the data it
// kept with its size and the command that removes it; status afterwards
// says that nothing is installed instead of listing dead services.
func TestUninstallSaysWhatItKept(t *testing.T) {
	staging(t)
	ctx := context.Background()
	h := newHarness(t, secretEnv)
	h.install()
	if err := h.app.InfraSetup(ctx); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(h.o.Root, "var/lib/hotstack-os/mysql/ibdata1"), strings.Repeat("x", 3<<20))
	h.logs.Reset()
	if err := h.app.Uninstall(ctx); err != nil {
		t.Fatal(err)
	}
	logs := h.logs.String()
	for _, want := range []string{"kept the data in /var/lib/hotstack-os (3.0 MiB)", "HOTSTACK_PURGE=1 mage uninstall"} {
		if !strings.Contains(logs, want) {
			t.Errorf("uninstall did not say %q:\n%s", want, logs)
		}
	}
	err := h.app.Status(ctx)
	var exit *exitcode.Error
	if !errors.As(err, &exit) || exit.Code != exitcode.Failure || !strings.Contains(err.Error(), "not installed") || !strings.Contains(err.Error(), "mage up") {
		t.Fatalf("status after uninstall: %v", err)
	}
}

// TestPurgeRefusesWhatIsNotOurs: a data directory that is a system
// directory is refused at validation, and a record naming one (edited by
// hand) makes purge refuse before deleting anything.
func TestPurgeRefusesWhatIsNotOurs(t *testing.T) {
	staging(t)
	ctx := context.Background()
	h := newHarness(t, secretEnv+"HOTSTACK_DATA_DIR=/var/lib\n")
	if err := h.app.Install(ctx); err == nil || !strings.Contains(err.Error(), `:7: HOTSTACK_DATA_DIR: "/var/lib" is a system or home directory`) {
		t.Fatalf("install with HOTSTACK_DATA_DIR=/var/lib: %v", err)
	}

	h = newHarness(t, secretEnv)
	h.install()
	if err := h.app.InfraSetup(ctx); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(h.o.Root, "var/lib/dpkg/status"), "dpkg")
	record := filepath.Join(h.o.Root, "etc/hotstack-os/created")
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record, append(data, "data /var/lib\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, h.o.Root)
	h.o.Purge = true
	h.rebuild()
	err = h.app.Uninstall(ctx)
	if err == nil || !strings.Contains(err.Error(), "/var/lib") || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("purge with /var/lib in the record: %v", err)
	}
	sameTree(t, "after a refused purge", before, tree(t, h.o.Root))
}

// TestStagedCleanupDeletesTheHostFilesSetupCreated: setup creates the hosts
// file in an empty staging root (and no exports: there is no NFS export);
// cleanup deletes it again, and the tree is as before.
func TestStagedCleanupDeletesTheHostFilesSetupCreated(t *testing.T) {
	staging(t)
	ctx := context.Background()
	h := newHarness(t, secretEnv)
	writeFile(t, filepath.Join(h.o.Root, "etc/hostname"), "test-host\n")
	before := tree(t, h.o.Root)
	if err := h.app.InfraSetup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.o.Root, "etc/hosts")); err != nil {
		t.Fatalf("setup did not create hosts: %v", err)
	}
	if _, err := os.Stat(filepath.Join(h.o.Root, "etc/exports")); err == nil {
		t.Fatal("setup created an exports file")
	}
	if err := h.app.InfraCleanup(ctx); err != nil {
		t.Fatal(err)
	}
	after := tree(t, h.o.Root)
	for p := range after {
		if strings.HasPrefix(p, "var") || strings.HasPrefix(p, "etc/iscsi") || p == "etc/hotstack-os" || p == "etc/hotstack-os/created" || p == "run" || strings.HasPrefix(p, "run/") {
			delete(after, p) // data directories and host mounts stay (purge removes them); the lock
		}
	}
	sameTree(t, "setup then cleanup", before, after)
}
