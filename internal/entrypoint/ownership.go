package entrypoint

import (
	"io/fs"
	"os"

	"github.com/hotstack-os/hotstack-os/internal/atomicfile"
	"github.com/hotstack-os/hotstack-os/internal/safepath"
)

// The entrypoint runs as root in containers whose service users own
// their data directories (volumes of the host's) and perhaps their
// configuration directories: a link one of them planted there must not
// turn root's chown, chmod or write onto another file. So nothing here
// acts by path on a directory or file once it is found: directories are
// opened through safepath and changed through their descriptors, files
// written through atomicfile.

// ownedDir opens the directory path, creating it (and missing parents)
// with mode, and gives it to uid:gid. A link at path, or one on the way
// that someone other than root could have made, is refused. The caller
// may change the directory further through the file, then closes it.
func ownedDir(path string, uid, gid int, mode fs.FileMode) (*os.File, error) {
	dir, err := safepath.MkdirAll(path, mode)
	if err != nil {
		return nil, err
	}
	if err := dir.Chown(uid, gid); err != nil {
		dir.Close()
		return nil, err
	}
	return dir, nil
}

// writeFile replaces path with content, root:gid and mode, atomically
// and never through a link.
func writeFile(path, content string, mode fs.FileMode, gid int) error {
	_, err := atomicfile.Write(path, []byte(content), atomicfile.Options{Perm: mode, Owner: &atomicfile.Owner{UID: 0, GID: gid}})
	return err
}
