package entrypoint

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"golang.org/x/sys/unix"
)

// Keystone signs its tokens and encrypts its credentials with keys from
// two Fernet key repositories. `keystone-manage fernet_setup` and
// `credential_setup` create a repository's first keys, but each is a
// Python start that imports keystone: about 2.9 CPU-seconds on these
// two cores, paid twice on every first `up`, to write two 32-byte random
// keys. initKeyRepository writes them as keystone-manage does.

// fernetKey is a new Fernet key as Keystone stores it: 32 random bytes
// (a signing key and an encryption key), URL-safe base64 with padding,
// no newline.
func fernetKey() ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return []byte(base64.URLEncoding.EncodeToString(key)), nil
}

// initKeyRepository makes dir a key repository owned by uid:gid (0700)
// and, when it has no key 0 yet, gives it keystone-manage's first two
// keys: 0 (staged, the next primary) and 1 (primary), each 0600. A
// repository that has a key 0 is initialized already and keeps its keys:
// keystone-manage aborts there too, and a rotation always leaves a 0.
// It reports whether it wrote keys.
func initKeyRepository(dir string, uid, gid int) (bool, error) {
	d, err := ownedDir(dir, uid, gid, 0o700)
	if err != nil {
		return false, err
	}
	defer d.Close()
	if err := d.Chmod(0o700); err != nil {
		return false, err
	}
	var st unix.Stat_t
	switch err := unix.Fstatat(int(d.Fd()), "0", &st, unix.AT_SYMLINK_NOFOLLOW); {
	case err == nil:
		return false, nil
	case !errors.Is(err, unix.ENOENT):
		return false, &fs.PathError{Op: "stat", Path: filepath.Join(dir, "0"), Err: err}
	}
	// The primary first: a repository with only key 1 is not yet
	// initialized (no 0), so a start that stops between the two writes
	// writes both again.
	for _, name := range []string{"1", "0"} {
		key, err := fernetKey()
		if err != nil {
			return false, err
		}
		if _, err := atomicfile.Write(filepath.Join(dir, name), key,
			atomicfile.Options{Perm: 0o600, Owner: &atomicfile.Owner{UID: uid, GID: gid}}); err != nil {
			return false, err
		}
	}
	return true, nil
}
