package stack

import (
	"fmt"
	"slices"
	"strings"
)

// Release is one OpenStack release the images can be built from: the
// Debian suite that packages it, and what differs in that suite. Adding
// the next Debian release is one more entry here, plus the configuration
// lines that differ (marked in the templates, see ReleaseLines).
type Release struct {
	// Name is the value of OPENSTACK_RELEASE and the images' tag.
	Name     string
	Codename string // OpenStack's name for it
	Suite    string // the Debian suite the images come from
	Debian   string // that suite's version
	// Absent are packages the recipes name that this suite does not have
	// (Debian dropped them, and nothing there needs them any more).
	Absent []string
}

// ReleaseKey is the .env key that chooses the release.
const ReleaseKey = "OPENSTACK_RELEASE"

// DefaultRelease is the release a .env without ReleaseKey gets.
const DefaultRelease = "2025.1"

// releases are the releases hotstack-os builds, newest first.
var releases = []Release{
	{Name: "2025.1", Codename: "Epoxy", Suite: "trixie", Debian: "13",
		// Zed's heat needed it; Debian 13 no longer has it.
		Absent: []string{"q-text-as-data"}},
	{Name: "zed", Codename: "Zed", Suite: "bookworm", Debian: "12"},
}

// Releases returns every release, newest first.
func Releases() []Release { return slices.Clone(releases) }

// ReleaseNames are the values ReleaseKey accepts.
func ReleaseNames() []string {
	var out []string
	for _, r := range releases {
		out = append(out, r.Name)
	}
	return out
}

// ReleaseNamed returns the release called name.
func ReleaseNamed(name string) (Release, error) {
	for _, r := range releases {
		if r.Name == name {
			return r, nil
		}
	}
	return Release{}, fmt.Errorf("%s=%q is not a release hotstack-os builds (%s)", ReleaseKey, name, strings.Join(ReleaseNames(), ", "))
}

// String names the release for messages: "2025.1 (Epoxy, Debian 13 trixie)".
func (r Release) String() string {
	return fmt.Sprintf("%s (%s, Debian %s %s)", r.Name, r.Codename, r.Debian, r.Suite)
}

// Has reports whether the release's suite has pkg.
func (r Release) Has(pkg string) bool { return !slices.Contains(r.Absent, pkg) }

// MustRelease is ReleaseNamed for a name from this table (tests, the
// default): an unknown one is a programming error.
func MustRelease(name string) Release {
	r, err := ReleaseNamed(name)
	if err != nil {
		panic(err)
	}
	return r
}
