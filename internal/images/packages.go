package images

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// PackagesLabel records which package versions an image holds:
// "<count>:<sha256 of PackagesFile>", e.g. "412:3f9c0a1b2c3d4e5f" (no
// space: `podman import --change LABEL` takes it unquoted). The file itself
// is in the image, so `podman run --rm --entrypoint cat IMAGE
// /usr/share/hotstack-os/packages.txt` lists them.
const PackagesLabel = "io.hotstack-os.packages"

// PackagesFile is the list of the image's installed packages, one
// "name=version" a line, sorted.
const PackagesFile = "/usr/share/hotstack-os/packages.txt"

// listPackages writes PackagesFile inside an image's root (run chrooted
// for the base, in the RUN for a layer). Only installed packages: a
// package removed but not purged keeps a dpkg entry.
const listPackages = "mkdir -p /usr/share/hotstack-os && dpkg-query -W -f '${db:Status-Status} ${Package}=${Version}\\n'" +
	" | sed -n 's/^installed //p' | LC_ALL=C sort > " + PackagesFile

// packagesLabel is PackagesLabel's value for a PackagesFile's content.
func packagesLabel(list string) (string, error) {
	n := strings.Count(list, "\n")
	if n == 0 {
		// An empty list is a failed dpkg-query, never a real image.
		return "", fmt.Errorf("no installed packages listed in %s", PackagesFile)
	}
	sum := sha256.Sum256([]byte(list))
	return fmt.Sprintf("%d:%s", n, hex.EncodeToString(sum[:])[:16]), nil
}
