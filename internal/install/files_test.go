package install

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/step"
	"github.com/hotstack-os/hotstack-os/units"
)

func check(t *testing.T, root string, f units.File) *step.Change {
	t.Helper()
	c, err := fileStep(root, f).Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func TestFileChanges(t *testing.T) {
	root := t.TempDir()
	f := units.File{Path: "/etc/x.conf", Data: []byte("a=1\nb=2\n"), Mode: 0o644}
	if c := check(t, root, f); c == nil || c.Action != "create" || c.Detail != "mode 0644, 8 bytes" {
		t.Fatalf("missing file: %+v", c)
	}
	write(t, filepath.Join(root, "etc/x.conf"), "a=1\nb=2\n", 0o644)
	if c := check(t, root, f); c != nil {
		t.Fatalf("identical file planned: %+v", c)
	}
	f.Data = []byte("a=1\nb=3\n")
	if c := check(t, root, f); c == nil || !strings.Contains(c.Detail, "-b=2") || !strings.Contains(c.Detail, "+b=3") {
		t.Fatalf("diff: %+v", c)
	}
	f.Data, f.Mode = []byte("a=1\nb=2\n"), 0o600
	if c := check(t, root, f); c == nil || c.Detail != "mode 0644 -> 0600\n" {
		t.Fatalf("mode: %+v", c)
	}
}

func TestSecretsMasked(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "etc/secrets.env"), "DB=\"oldS3cret\"\nSVC=\"same\"\n", 0o600)
	write(t, filepath.Join(root, "etc/app.conf"), "x=1\n", 0o644)
	p := &step.Plan{Secrets: []string{"newS3cret"}}
	for _, f := range []units.File{
		{Path: "/etc/secrets.env", Data: []byte("DB=\"newS3cret\"\nSVC=\"same\"\n"), Mode: 0o600, Secret: true},
		{Path: "/etc/app.conf", Data: []byte("x=1\npw=newS3cret\n"), Mode: 0o644},
	} {
		if c := check(t, root, f); c != nil {
			p.Add(*c)
		}
	}
	var out strings.Builder
	p.Print(&out)
	text := out.String()
	for _, leak := range []string{"oldS3cret", "newS3cret", "same"} {
		if strings.Contains(text, leak) {
			t.Errorf("plan shows %q:\n%s", leak, text)
		}
	}
	if !strings.Contains(text, "DB=******** (value changed)") || !strings.Contains(text, "+pw=********") {
		t.Errorf("changes not visible:\n%s", text)
	}
}

func TestInstallWritesOnceAndUninstallRemovesAll(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	files := []units.File{{Path: "/etc/hs/a", Data: []byte("a\n"), Mode: 0o644}, {Path: "/usr/bin/hs", Data: []byte("#!/bin/sh\n"), Mode: 0o755}}
	sum, err := Install(ctx, root, files, "/etc/hs/manifest", "/etc/hs/created", nil)
	if err != nil || len(sum.Changed) != 4 {
		t.Fatalf("first install: %+v %v", sum, err)
	}
	manifest, err := os.ReadFile(filepath.Join(root, "etc/hs/manifest"))
	if err != nil || !strings.HasSuffix(string(manifest), "\n/etc/hs/a\n/etc/hs/manifest\n/usr/bin/hs\n") {
		t.Fatalf("manifest %q %v", manifest, err)
	}
	created, err := os.ReadFile(filepath.Join(root, "etc/hs/created"))
	if err != nil || !strings.HasSuffix(string(created), "\ndir /etc\ndir /etc/hs\ndir /usr\ndir /usr/bin\n") {
		t.Fatalf("record %q %v", created, err)
	}
	if sum, err := Install(ctx, root, files, "/etc/hs/manifest", "/etc/hs/created", nil); err != nil || len(sum.Changed) != 0 || len(sum.Unchanged) != 4 {
		t.Fatalf("second install: %+v %v", sum, err)
	}
	// A file dropped from the set stays in the manifest until uninstall.
	if _, err := Install(ctx, root, files[:1], "/etc/hs/manifest", "/etc/hs/created", nil); err != nil {
		t.Fatal(err)
	}
	removed, err := Remove(root, "/etc/hs/manifest", "/etc/hs/created", false, nil, zerolog.Nop())
	if err != nil || len(removed) != 3 {
		t.Fatalf("uninstall removed %v (%v)", removed, err)
	}
	if entries, err := os.ReadDir(root); err != nil || len(entries) != 0 {
		t.Fatalf("uninstall left %v (%v)", entries, err)
	}
}

// TestUninstallKeepsDirectoriesItDidNotCreate: a directory that existed
// before install stays, even when uninstall leaves it empty.
func TestUninstallKeepsDirectoriesItDidNotCreate(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr/local/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []units.File{{Path: "/usr/local/bin/hs", Data: []byte("x"), Mode: 0o755}}
	if _, err := Install(context.Background(), root, files, "/etc/hs/manifest", "/etc/hs/created", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Remove(root, "/etc/hs/manifest", "/etc/hs/created", false, nil, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/local/bin")); err != nil {
		t.Fatalf("uninstall removed a directory it did not create: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "etc")); !os.IsNotExist(err) {
		t.Fatalf("uninstall left the directories it created: %v", err)
	}
}

func TestLibvirtUnitsFollowWhatTheHostEnabled(t *testing.T) {
	root := t.TempDir()
	if got := LibvirtUnits(root); len(got) != 1 || got[0] != "libvirtd.service" {
		t.Fatalf("a host without modular libvirt: %v", got)
	}
	wants := filepath.Join(root, "etc/systemd/system/sockets.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd/system/virtqemud.socket", filepath.Join(wants, "virtqemud.socket")); err != nil {
		t.Fatal(err)
	}
	if got := LibvirtUnits(root); len(got) != 1 || got[0] != "virtqemud.socket" {
		t.Fatalf("a host with virtqemud.socket enabled: %v", got)
	}
}

func TestReadKey(t *testing.T) {
	root := t.TempDir()
	if key, err := ReadKey(root, "/etc/hotstack-os/fingerprint.key"); key != nil || err != nil {
		t.Fatalf("no key yet: %x, %v", key, err)
	}
	key, err := NewKey()
	if err != nil || len(key) != units.KeySize {
		t.Fatalf("NewKey: %x, %v", key, err)
	}
	path := filepath.Join(root, "etc/hotstack-os/fingerprint.key")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, units.KeyFileData(key), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadKey(root, "/etc/hotstack-os/fingerprint.key"); err != nil || string(got) != string(key) {
		t.Fatalf("ReadKey: %x, %v", got, err)
	}
	if err := os.WriteFile(path, []byte("FINGERPRINT_KEY=12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadKey(root, "/etc/hotstack-os/fingerprint.key"); err == nil || !strings.Contains(err.Error(), "delete it and run mage install") {
		t.Fatalf("a broken key: %v", err)
	}
}
