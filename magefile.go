//go:build mage

// hotstack-os brings up a single-host OpenStack as systemd-managed podman
// containers. Each target is one call into internal/app; see README.md.
package main

import (
	"sync"

	"github.com/magefile/mage/mg"

	"github.com/hotstack-os/hotstack-os/internal/app"
)

// hotstack is the app of this run, built once: the HOTSTACK_* switches are
// parsed once and the .env read once, whatever targets run.
var hotstack = sync.OnceValues(app.FromEnv)

// Check validates .env and that every image exists; writes nothing.
func Check() error { return app.Run(hotstack, (*app.App).Check) }

// Config checks, then renders templates/configs and templates/scripts into the data directory.
func Config() error { return app.Run(hotstack, (*app.App).Config) }

// Install checks, renders the config, and installs units, config, secrets and helper.
func Install() error { return app.Run(hotstack, (*app.App).Install) }

// Uninstall stops the stack and removes exactly what install wrote.
//
// HOTSTACK_PURGE=1 also deletes the data (databases, images, instance disks, volumes), nova's libvirt
// guests, the containers, the podman network and the bridges, for good. It lists them first and goes
// on only when you answer yes on the terminal, or, with no terminal, when HOTSTACK_PURGE_CONFIRM=yes is set.
func Uninstall() error { return app.Run(hotstack, (*app.App).Uninstall) }

// Backup dumps every database and copies the secrets and keys into a new root-only directory under /var/backups/hotstack-os (HOTSTACK_BACKUP_DIR).
//
// The stack must be up (the dump comes from the MariaDB container). The directory is named by the time (UTC),
// 0700, and no purge deletes it; `mage restore DIR` brings it back.
func Backup() error { return app.Run(hotstack, (*app.App).Backup) }

// Restore loads a backup's databases into the running stack and puts its keys back: mage restore /var/backups/hotstack-os/20260101T120000Z.
//
// Then restart the stack (mage down, mage up) so every service reads them.
func Restore(dir string) error { return app.Run(hotstack, app.RestoreTarget(dir)) }

// Test fails on hygiene findings, then runs every test tier, installing missing Debian packages first.
func Test() error { return app.Run(hotstack, (*app.App).Test) }

// Infra groups the host-infrastructure targets.
type Infra mg.Namespace

// Setup creates bridges, hot-ex address, podman network, hosts/exports entries, data dirs.
func (Infra) Setup() error { return app.Run(hotstack, (*app.App).InfraSetup) }

// Cleanup removes the hosts/exports entries; HOTSTACK_PURGE=1 also bridges and network.
func (Infra) Cleanup() error { return app.Run(hotstack, (*app.App).InfraCleanup) }

// Installed fails unless the installed files match what .env renders.
func Installed() error { return app.Run(hotstack, (*app.App).Installed) }

// Up converges: builds missing images, installs what changed, sets up the host, restarts what changed, starts the rest.
//
// Needs (mage doctor checks each): root; systemd as PID 1; Go 1.26 (go.dev/dl, Debian 12's is 1.19);
// apt-get install podman mmdebstrap openvswitch-switch libvirt-daemon-system
// qemu-system-x86 ovmf nftables. KVM is optional (guests are emulated without it).
//
// Settings: .env (cp .env.example .env; every key is in the README's Configuration table), and the
// switches HOTSTACK_ENV (another .env file), HOTSTACK_POST_SETUP=0 (skip post-setup),
// HOTSTACK_STRICT_LAYERS=1 (start layer by layer), HOTSTACK_FORCE_IMAGES=1 (rebuild images).
//
// Ends with post-setup and how to use the cloud: export OS_CLOUD=hotstack-os; openstack server list.
func Up() error {
	mg.Deps(imagesMissing)
	return app.Run(hotstack, (*app.App).Up)
}

// imagesMissing builds only the images podman lacks (up's first step); `mage images` rebuilds changed recipes and package updates.
func imagesMissing() error { return app.Run(hotstack, (*app.App).ImagesMissing) }

// Down stops the stack in reverse layer order, then cleans up the host infra.
func Down() error { return app.Run(hotstack, (*app.App).Down) }

// Status shows each service's unit state and health, and the images with package updates; exit 0 only if all healthy.
func Status() error { return app.Run(hotstack, (*app.App).Status) }

// Plan shows what install, infra:setup and up would change; exit 2 if anything.
func Plan() error { return app.Run(hotstack, (*app.App).Plan) }

// Graph prints the service graph as Graphviz DOT (dot -Tsvg to draw it).
func Graph() error { return app.Run(hotstack, (*app.App).Graph) }

// Logs follows the journal of every unit; `mage logs keystone` for one service.
func Logs(service *string) error { return app.Run(hotstack, app.LogsTarget(service)) }

// Smoke uses the running cloud as a cloud user would; exit 0 only if every check passes.
func Smoke() error { return app.Run(hotstack, (*app.App).Smoke) }

// PostSetup makes the running cloud ready for HotStack: project, user, quotas, flavors, networks, keypair, credentials.
func PostSetup() error { return app.Run(hotstack, (*app.App).PostSetup) }

// Images builds every image the units name from the release's Debian packages (OPENSTACK_RELEASE: 2025.1 from Debian 13, zed from Debian 12): changed recipes, and images with package updates
// in the archive and those built on them (HOTSTACK_IMAGE_UPDATES=0: no check); the rest are kept.
func Images() error { return app.Run(hotstack, (*app.App).Images) }

// Doctor reports each host prerequisite (root, systemd, Go, packages, Open vSwitch, libvirt, cgroups, KVM, memory, disk) with the fix for what is missing.
func Doctor() error { return app.Run(hotstack, (*app.App).Doctor) }
