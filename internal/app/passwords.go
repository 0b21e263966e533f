package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/openstack"
)

// keystonePasswordsFile is where up remembers which password each service
// user has in Keystone: beside the databases (like the release record),
// so that a purge forgets it with them; a restore removes it (the
// restored database may hold other passwords).
const keystonePasswordsFile = ".hotstack-os-keystone-passwords"

// keystonePasswords is the openstack.PasswordMemory of up's registrations.
// It holds, per Keystone user ID, an HMAC of the password under the
// install's fingerprint key: never the password, and nothing a reader of
// the file alone could test a guess against. With it a warm `up` skips one
// Keystone login (one bcrypt) per service user.
type keystonePasswords struct {
	path string
	key  []byte
	// trust is false for `mage postsetup`: it checks every password with
	// a login, as an operator who suspects a hand-made change expects.
	trust bool

	mu   sync.Mutex
	macs map[string]string
}

// keystonePasswords loads the memory; nil (log in every time) before the
// first install made a key or when the databases have no directory yet.
func (a *App) keystonePasswords(cfg *config.Config, trust bool) *keystonePasswords {
	key, err := install.ReadKey(a.o.Root, a.o.Paths.KeyFile())
	if err != nil || key == nil {
		return nil
	}
	dir := a.mysqlDataDir(cfg)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	k := &keystonePasswords{path: filepath.Join(dir, keystonePasswordsFile), key: key, trust: trust, macs: map[string]string{}}
	data, err := os.ReadFile(k.path)
	if err == nil {
		// A damaged file is as good as none: every password is checked.
		_ = json.Unmarshal(data, &k.macs)
	}
	return k
}

func (k *keystonePasswords) mac(userID, password string) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte("keystone-password\x00" + userID + "\x00" + password))
	return hex.EncodeToString(m.Sum(nil))
}

// Holds reports whether Keystone was last seen with this password for
// userID.
func (k *keystonePasswords) Holds(userID, password string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.trust && hmac.Equal([]byte(k.macs[userID]), []byte(k.mac(userID, password)))
}

// Remember notes that Keystone accepted or was given password for userID.
// A write that fails costs one login on the next up, nothing else.
func (k *keystonePasswords) Remember(userID, password string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	mac := k.mac(userID, password)
	if k.macs[userID] == mac {
		return
	}
	k.macs[userID] = mac
	data, err := json.MarshalIndent(k.macs, "", " ")
	if err == nil {
		_, _ = atomicfile.Write(k.path, append(data, '\n'), atomicfile.Options{Perm: 0o600})
	}
}

// forgetKeystonePasswords removes the memory, for a restore: the restored
// database holds the passwords of the backup's day.
func (a *App) forgetKeystonePasswords(cfg *config.Config) error {
	err := os.Remove(filepath.Join(a.mysqlDataDir(cfg), keystonePasswordsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// passwordMemory is keystonePasswords as an openstack.PasswordMemory: nil
// when there is none (a nil *keystonePasswords in the interface would not
// be nil).
func (a *App) passwordMemory(cfg *config.Config, trust bool) openstack.PasswordMemory {
	if k := a.keystonePasswords(cfg, trust); k != nil {
		return k
	}
	return nil
}
