package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVolumePathReplacesNovasEmptyDirectory: the empty directory an older
// nova-compute left becomes the symlink; a directory with files in it is
// refused and kept as it is.
func TestVolumePathReplacesNovasEmptyDirectory(t *testing.T) {
	h, root := stagedHost(t)
	export := "/srv/export"
	link := NovaMountPoint("/srv/nova-mnt", NFSShare(export))
	s := h.volumePathStep("/srv/nova-mnt", export)
	ctx := context.Background()
	must(t, os.MkdirAll(filepath.Join(root, link), 0o755))
	if c, err := s.Check(ctx); err != nil || c == nil || c.Action != "update" {
		t.Fatalf("check over an empty directory: %+v %v", c, err)
	}
	must(t, s.Apply(ctx))
	if got, err := os.Readlink(filepath.Join(root, link)); err != nil || got != export {
		t.Fatalf("link = %q %v, want %s", got, err, export)
	}
	if c, err := s.Check(ctx); err != nil || c != nil {
		t.Fatalf("check after apply: %+v %v", c, err)
	}

	must(t, os.Remove(filepath.Join(root, link)))
	must(t, os.MkdirAll(filepath.Join(root, link), 0o755))
	must(t, os.WriteFile(filepath.Join(root, link, "volume-1"), []byte("data"), 0o600))
	err := s.Apply(ctx)
	if err == nil || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("apply over a directory with a file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, link, "volume-1")); err != nil {
		t.Fatalf("the file is gone: %v", err)
	}
}
