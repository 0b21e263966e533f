// Package units renders the systemd units, and the files they read, from
// the config and the stack. Rendering is pure: data in, bytes out; it never
// touches the disk (internal/install writes the files).
package units

import "io/fs"

// File is a rendered file and where it belongs on the target system
// (an absolute path, before any staging root is applied).
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
	// Secret files must never be shown unmasked (see `mage plan`).
	Secret bool
}

// Paths where the installed system keeps things.
type Paths struct {
	UnitDir   string // /etc/systemd/system
	ConfigDir string // /etc/hotstack-os
	Helper    string // /usr/local/bin/hotstack-os
	Podman    string // /usr/bin/podman
}

// DefaultPaths returns the paths of a standard installation.
func DefaultPaths() Paths {
	return Paths{
		UnitDir:   "/etc/systemd/system",
		ConfigDir: "/etc/hotstack-os",
		Helper:    "/usr/local/bin/hotstack-os",
		Podman:    "/usr/bin/podman",
	}
}

// ConfigFile is the installed, secret-free configuration the helper reads.
func (p Paths) ConfigFile() string { return p.ConfigDir + "/hotstack-os.env" }

// SecretsFile holds the container environment variables that carry secrets.
func (p Paths) SecretsFile() string { return p.ConfigDir + "/secrets.env" }

// GeneratedSecretsFile keeps the secrets install generated for the keys
// the .env leaves unset (0600), so every run uses the same ones.
func (p Paths) GeneratedSecretsFile() string { return p.ConfigDir + "/generated-secrets.env" }

// KeyFile holds the key of the containers' fingerprint labels (0600).
func (p Paths) KeyFile() string { return p.ConfigDir + "/fingerprint.key" }

// ManifestFile lists every path install wrote, for uninstall.
func (p Paths) ManifestFile() string { return p.ConfigDir + "/manifest" }

// RecordFile is the record of what hotstack-os created on the host besides
// the manifest's files (internal/record): install and infra setup add to
// it, uninstall and purge remove what it lists.
func (p Paths) RecordFile() string { return p.ConfigDir + "/created" }
