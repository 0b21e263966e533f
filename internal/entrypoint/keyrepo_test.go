package entrypoint

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
)

func TestInitKeyRepositoryWritesKeystonesFirstKeysOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fernet-keys")
	uid, gid := os.Getuid(), os.Getgid()
	wrote, err := initKeyRepository(dir, uid, gid)
	if err != nil || !wrote {
		t.Fatalf("first call: wrote=%v, %v", wrote, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("repository: %v, %v; want mode 0700", st.Mode(), err)
	}
	keys := map[string]string{}
	for _, name := range []string{"0", "1"} {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// What Keystone's Fernet loader accepts: URL-safe base64 of 32 bytes.
		raw, err := base64.URLEncoding.DecodeString(string(data))
		if err != nil || len(raw) != 32 || len(data) != 44 {
			t.Errorf("key %s = %q: %d bytes decoded, %v; want 32 bytes in 44 characters", name, data, len(raw), err)
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
			t.Errorf("key %s mode %v, want 0600", name, st.Mode().Perm())
		}
		keys[name] = string(data)
	}
	if keys["0"] == keys["1"] {
		t.Error("keys 0 and 1 are the same")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the repository holds %d entries, want the 2 keys alone", len(entries))
	}

	// Initialized (it has a 0): kept as it is, as keystone-manage does,
	// rotated keys included.
	if err := os.WriteFile(filepath.Join(dir, "2"), []byte(keys["1"]), 0o600); err != nil {
		t.Fatal(err)
	}
	if wrote, err := initKeyRepository(dir, uid, gid); err != nil || wrote {
		t.Fatalf("second call: wrote=%v, %v; want nothing written", wrote, err)
	}
	for name, want := range keys {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
			t.Errorf("key %s changed on the second call", name)
		}
	}
}

func TestInitKeyRepositoryRefusesALinkPlantedAsTheRepository(t *testing.T) {
	base := t.TempDir()
	elsewhere := filepath.Join(base, "elsewhere")
	if err := os.Mkdir(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	// A directory others may write, as a service's data directory is.
	parent := filepath.Join(base, "data")
	if err := os.Mkdir(parent, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(parent, "keys")); err != nil {
		t.Fatal(err)
	}
	if _, err := initKeyRepository(filepath.Join(parent, "keys"), os.Getuid(), os.Getgid()); err == nil {
		t.Fatal("a link others could have planted was followed")
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("keys were written through the link: %d entries", len(entries))
	}
}
