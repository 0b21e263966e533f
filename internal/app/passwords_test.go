package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeystonePasswordsAreRememberedAsMACs: up's memory of the service
// users' passwords holds keyed hashes (0600, beside the databases), trusts
// them only for up, and a new memory reads what the last one wrote.
func TestKeystonePasswordsAreRememberedAsMACs(t *testing.T) {
	h := newHarness(t, secretEnv)
	if err := h.app.Install(context.Background()); err != nil { // makes the fingerprint key
		t.Fatal(err)
	}
	h.dataDir(true)
	cfg, err := h.app.installedConfig()
	if err != nil {
		t.Fatal(err)
	}
	k := h.app.keystonePasswords(cfg, true)
	if k == nil {
		t.Fatal("no memory although the key and the data directory exist")
	}
	k.Remember("u-glance", "s3cret-password")
	data, err := os.ReadFile(k.path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "s3cret") || !strings.Contains(string(data), "u-glance") {
		t.Fatalf("the memory holds %s", data)
	}
	if fi, _ := os.Stat(k.path); fi.Mode().Perm() != 0o600 || filepath.Dir(k.path) != h.app.mysqlDataDir(cfg) {
		t.Fatalf("%s: mode %v, want 0600 beside the databases", k.path, fi.Mode())
	}
	again := h.app.keystonePasswords(cfg, true)
	if !again.Holds("u-glance", "s3cret-password") || again.Holds("u-glance", "other") || again.Holds("u-nova", "s3cret-password") {
		t.Fatal("a new memory does not hold exactly what was remembered")
	}
	if h.app.keystonePasswords(cfg, false).Holds("u-glance", "s3cret-password") {
		t.Fatal("postsetup's memory trusts a remembered password; it must check each")
	}
	if err := h.app.forgetKeystonePasswords(cfg); err != nil {
		t.Fatal(err)
	}
	if h.app.keystonePasswords(cfg, true).Holds("u-glance", "s3cret-password") {
		t.Fatal("forgotten passwords are still held")
	}
	if err := h.app.forgetKeystonePasswords(cfg); err != nil {
		t.Fatalf("forgetting twice: %v", err)
	}
}
