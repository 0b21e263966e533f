//go:build mage

// hotstack-os brings up a single-host OpenStack as systemd-managed podman
// containers. Each target is one call into internal/app (test hands it
// internal/testrun's runner); see README.md.
package main

import (
	"sync"

	"github.com/magefile/mage/mg"

	"github.com/hotstack-os/hotstack-os/internal/app"
	"github.com/hotstack-os/hotstack-os/internal/testrun"
)

// Each target's doc comment is its help, which mage -h prints whole, line
// breaks kept (mage:multiline), so that its switches, exit statuses and
// example stay lists. The comments are generated from internal/targets, as
// the README's table of targets is: edit the help there, then run
// go test ./internal/targets -update.
//
//mage:multiline

// hotstack is the app of this run, built once: the HOTSTACK_* switches are
// parsed once and the .env read once, whatever targets run.
var hotstack = sync.OnceValues(app.FromEnv)

// Check validates .env and that every image exists; writes nothing.
//
// Every key is checked against the schema, and every problem reported at once with its line; the
// templates and units are rendered in memory; one podman image inspect finds the images missing,
// and says how to get them.
//
// Switches:
//
//	HOTSTACK_ENV=FILE            read this .env, which must exist, instead of ./.env (without
//	                             ./.env: the built-in defaults)
//	HOTSTACK_SKIP_IMAGE_CHECK=1  check .env only
//	HOTSTACK_CONFIGS_DIR=DIR     the configuration templates (default ./templates/configs)
//	HOTSTACK_SCRIPTS_DIR=DIR     the script templates (default ./templates/scripts)
//	HOTSTACK_LOG_FORMAT=json     log JSON lines, and an error as one JSON object (default
//	                             console)
//
// Exit status:
//
//	0    .env is valid and every image exists
//	1    a problem with .env, a template or an image, each named
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_ENV=staging.env mage check
func Check() error { return app.Run(hotstack, (*app.App).Check) }

// Config checks, then renders the configuration templates into the data directory.
//
// The templates of templates/configs/ and templates/scripts/ go to ${HOTSTACK_DATA_DIR}/runtime/:
// all checked before any is written, all written or none, unchanged files untouched.
//
// Switches:
//
//	HOTSTACK_ENV=FILE            read this .env, which must exist, instead of ./.env (without
//	                             ./.env: the built-in defaults)
//	HOTSTACK_CONFIGS_DIR=DIR     the configuration templates (default ./templates/configs)
//	HOTSTACK_SCRIPTS_DIR=DIR     the script templates (default ./templates/scripts)
//	HOTSTACK_ROOT=DIR            write every path under this existing directory instead of /
//	                             (staging, tests): files only, no bridges or network
//	HOTSTACK_SKIP_IMAGE_CHECK=1  do not check that the images exist (staging)
//	HOTSTACK_LOG_FORMAT=json     log JSON lines, and an error as one JSON object (default
//	                             console)
//
// Exit status:
//
//	0    the configuration is rendered (or already was)
//	1    a problem with .env, a template or an image; nothing written
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_CONFIGS_DIR=$PWD/my-configs mage config
func Config() error { return app.Run(hotstack, (*app.App).Config) }

// Install checks, renders the configuration, then writes the units, secrets and helper.
//
// It writes the units, /etc/hotstack-os (the config with its secrets blanked, secrets.env, the
// fingerprint key, the manifest), the rendered templates and the helper binary, all or nothing,
// and enables hotstack-os.target, so the stack starts at boot. It starts nothing (mage up does). A
// second install with the same .env writes nothing.
//
// Switches:
//
//	HOTSTACK_ENV=FILE            read this .env, which must exist, instead of ./.env (without
//	                             ./.env: the built-in defaults)
//	HOTSTACK_ROOT=DIR            write every path under this existing directory instead of /
//	                             (staging, tests): files only, no bridges or network
//	HOTSTACK_SKIP_IMAGE_CHECK=1  install without checking the images (staging)
//	HOTSTACK_CONFIGS_DIR=DIR     the configuration templates (default ./templates/configs)
//	HOTSTACK_SCRIPTS_DIR=DIR     the script templates (default ./templates/scripts)
//	HOTSTACK_LOG_FORMAT=json     log JSON lines, and an error as one JSON object (default
//	                             console)
//
// Exit status:
//
//	0    installed (or already was)
//	1    a problem found before writing, or a write that failed, undone: the host is as it was
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mkdir /tmp/stage && HOTSTACK_ROOT=/tmp/stage HOTSTACK_SKIP_IMAGE_CHECK=1 mage install
func Install() error { return app.Run(hotstack, (*app.App).Install) }

// Uninstall stops the stack and removes exactly what install wrote; the data stays.
//
// It disables hotstack-os.target and says what it kept (the data, with its size; the bridges; the
// network) and how to remove it.
//
// HOTSTACK_PURGE=1 also deletes, for good, the data directories setup created (databases, images,
// instance disks, volumes), nova's libvirt guests, the containers, the podman network and the
// bridges. It lists them first and goes on only when you answer yes on a terminal (offered a
// backup first), or, with no terminal, when HOTSTACK_PURGE_CONFIRM=yes is set.
//
// Switches:
//
//	HOTSTACK_PURGE=1            also delete the data, nova's guests, the containers, the network
//	                            and the bridges
//	HOTSTACK_PURGE_CONFIRM=yes  answers the purge's question yes in advance: needed where no
//	                            terminal can ask it
//	HOTSTACK_ROOT=DIR           write every path under this existing directory instead of /
//	                            (staging, tests): files only, no bridges or network
//	HOTSTACK_LOG_FORMAT=json    log JSON lines, and an error as one JSON object (default
//	                            console)
//
// Exit status:
//
//	0    uninstalled (or nothing was installed)
//	1    a failure, or a purge not confirmed: then nothing was deleted
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage backup && HOTSTACK_PURGE=1 HOTSTACK_PURGE_CONFIRM=yes mage uninstall
func Uninstall() error { return app.Run(hotstack, (*app.App).Uninstall) }

// Backup copies the databases, keys, images and volumes into a new root-only directory.
//
// Every database (mariadb-dump --all-databases --single-transaction in the running MariaDB
// container) and OVN's northbound database; secrets.env, generated-secrets.env, fingerprint.key,
// hotstack-os.env, keystone's fernet and credential keys and nova-compute's compute_id (the node
// the databases name); Glance's images and Cinder's volumes. The directory, 0700, is named by the
// time (UTC) under /var/backups/hotstack-os, and no purge deletes it. The stack must be up; mage
// restore DIR brings it back.
//
// Switches:
//
//	HOTSTACK_BACKUP_DIR=DIR   where backup makes its directories (default
//	                          /var/backups/hotstack-os; absolute, and not inside the data, which
//	                          a purge deletes)
//	HOTSTACK_ROOT=DIR         write every path under this existing directory instead of /
//	                          (staging, tests): files only, no bridges or network
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    backed up; the last line names the directory
//	1    a failure; the incomplete directory is removed
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_BACKUP_DIR=/srv/backups mage backup
func Backup() error { return app.Run(hotstack, (*app.App).Backup) }

// Restore loads a backup into the running stack: databases, keys, images and volumes.
//
// The dumps go into the running MariaDB and ovn-northd, the keys back with their mode and owner. A
// backup holding any other file is refused, and nothing changed. Then restart the stack (mage
// down, mage up) so every service reads them.
//
// Switches:
//
//	HOTSTACK_ROOT=DIR         write every path under this existing directory instead of /
//	                          (staging, tests): files only, no bridges or network
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    restored; restart the stack
//	1    DIR is not a backup, or a load failed
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage restore /var/backups/hotstack-os/20260101T120000Z && mage down && mage up
func Restore(dir string) error { return app.Run(hotstack, app.RestoreTarget(dir)) }

// Test fails on hygiene findings, then runs every test tier.
//
// As root it first installs the Debian packages the suite needs and builds every release's images.
// Hygiene: go mod tidy, gofmt, go vet, staticcheck. Then the unit and integration tests, the
// end-to-end suite on stand-in images, and the real cloud.
//
// Switches:
//
//	HOTSTACK_E2E=0              test skips the end-to-end tiers
//	HOTSTACK_E2E_CLOUD=0        test skips the real-cloud tier
//	HOTSTACK_E2E_FOCUS=STEPS    the end-to-end journey runs only its steps whose name holds one
//	                            of these words, comma-separated (secrets,logs)
//	HOTSTACK_DEBIAN_MIRROR=URL  the Debian archive the images are built from (default
//	                            http://deb.debian.org/debian)
//	HOTSTACK_IMAGE_CACHE=DIR    apt's lists and packages kept between builds, and the last
//	                            update check (default /var/cache/hotstack-os/apt)
//	HOTSTACK_LOG_FORMAT=json    log JSON lines, and an error as one JSON object (default
//	                            console)
//
// Exit status:
//
//	0    every tier passed
//	1    a hygiene finding or a failed test
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_E2E=0 mage test   # hygiene, unit and integration tests only
func Test() error { return app.Run(hotstack, app.TestTarget(testrun.Run)) }

// Infra groups the host-infrastructure targets.
type Infra mg.Namespace

// Setup sets up the host: bridges, hot-ex address, podman network, /etc/hosts, data dirs.
//
// Open vSwitch's bridges hot-int and hot-ex, BREX_IP on hot-ex, the podman network, the /etc/hosts
// block, the data directories, the nftables table for the guests' egress. What the infra oneshot
// runs at boot, and up before it starts the stack; each step says changed or unchanged, and a
// second run changes nothing.
//
// Switches:
//
//	HOTSTACK_ENV=FILE         read this .env, which must exist, instead of ./.env (without
//	                          ./.env: the built-in defaults)
//	HOTSTACK_ROOT=DIR         files only under DIR: no Open vSwitch, address, podman network or
//	                          exportfs
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    the host is set up
//	1    a step failed, named with its error
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage infra:setup
func (Infra) Setup() error { return app.Run(hotstack, (*app.App).InfraSetup) }

// Cleanup removes what infra:setup added to /etc/hosts and the firewall; the bridges stay.
//
// What the infra oneshot runs when the stack stops: the /etc/hosts block and the nftables table
// for the guests' egress go, and so does the provider network's place in firewalld's trusted zone
// where firewalld runs. The bridges, the podman network and the data directories stay;
// HOTSTACK_PURGE=1 deletes the bridges and the network too (HOTSTACK_PURGE=1 mage uninstall
// deletes the data).
//
// Switches:
//
//	HOTSTACK_PURGE=1          also delete the bridges and the podman network
//	HOTSTACK_ENV=FILE         read this .env, which must exist, instead of ./.env (without
//	                          ./.env: the built-in defaults)
//	HOTSTACK_ROOT=DIR         write every path under this existing directory instead of /
//	                          (staging, tests): files only, no bridges or network
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    cleaned up
//	1    a step failed, named with its error
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_PURGE=1 mage infra:cleanup
func (Infra) Cleanup() error { return app.Run(hotstack, (*app.App).InfraCleanup) }

// Installed fails unless the installed files are what .env renders now.
//
// It compares the units, the installed config, the secrets, the key and the rendered templates
// with what .env renders, and looks for the helper binary; it writes nothing.
//
// Switches:
//
//	HOTSTACK_ENV=FILE            read this .env, which must exist, instead of ./.env (without
//	                             ./.env: the built-in defaults)
//	HOTSTACK_ROOT=DIR            write every path under this existing directory instead of /
//	                             (staging, tests): files only, no bridges or network
//	HOTSTACK_SKIP_IMAGE_CHECK=1  do not check that the images exist (staging)
//	HOTSTACK_CONFIGS_DIR=DIR     the configuration templates (default ./templates/configs)
//	HOTSTACK_SCRIPTS_DIR=DIR     the script templates (default ./templates/scripts)
//	HOTSTACK_LOG_FORMAT=json     log JSON lines, and an error as one JSON object (default
//	                             console)
//
// Exit status:
//
//	0    every installed file is current
//	1    one is missing or differs (the first is named), or .env has a problem
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage installed || mage install
func Installed() error { return app.Run(hotstack, (*app.App).Installed) }

// Up converges the host to .env and starts the stack, changing only what differs.
//
// It builds the images podman lacks (of .env's OPENSTACK_RELEASE: 2025.1 from Debian 13, the
// default, or zed from Debian 12), installs when the installed files differ from what .env
// renders, sets up the host, restarts exactly the running services whose inputs changed (saying
// why), starts the rest, each as soon as its dependencies are healthy, and ends with post-setup
// and how to use the cloud: export OS_CLOUD=hotstack-os; openstack server list. It converges, as
// docker compose up does: on an unchanged, healthy stack it changes nothing; edit .env and run it
// again.
//
// Needs (mage doctor checks each): root; systemd as PID 1; Go 1.26; apt-get install podman
// mmdebstrap openvswitch-switch libvirt-daemon-system qemu-system-x86 ovmf nftables. Settings:
// .env (cp .env.example .env; every key is in the README's Configuration table), or the built-in
// defaults without one.
//
// Switches:
//
//	HOTSTACK_ENV=FILE            read this .env, which must exist, instead of ./.env (without
//	                             ./.env: the built-in defaults)
//	HOTSTACK_POST_SETUP=0        end without post-setup: no clouds.yaml, networks, flavors or
//	                             test guest (not built either)
//	HOTSTACK_STRICT_LAYERS=1     start layer by layer, not each service as soon as its
//	                             dependencies are healthy
//	HOTSTACK_SKIP_IMAGE_CHECK=1  neither check nor build the images
//	HOTSTACK_DEBIAN_MIRROR=URL   the Debian archive missing images are built from
//	HOTSTACK_IMAGE_CACHE=DIR     apt's lists and packages kept between builds, and the last
//	                             update check (default /var/cache/hotstack-os/apt)
//	HOTSTACK_CONFIGS_DIR=DIR     the configuration templates (default ./templates/configs)
//	HOTSTACK_SCRIPTS_DIR=DIR     the script templates (default ./templates/scripts)
//	HOTSTACK_LOG_FORMAT=json     log JSON lines, and an error as one JSON object (default
//	                             console)
//
// Exit status:
//
//	0    every service is up and healthy (and post-setup done)
//	1    a failure; a service that did not get healthy is named with the last lines of its
//	     journal
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_STRICT_LAYERS=1 mage up
func Up() error {
	mg.Deps(imagesMissing)
	return app.Run(hotstack, (*app.App).Up)
}

// imagesMissing builds only the images podman lacks (up's first step); `mage images` rebuilds changed recipes and package updates.
func imagesMissing() error { return app.Run(hotstack, (*app.App).ImagesMissing) }

// Down stops the stack in reverse layer order; the infra oneshot, last, cleans up.
//
// The units stay installed and enabled, so the stack starts again at boot; the data stays. mage up
// starts it again, mage uninstall removes it.
//
// Switches:
//
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    every unit is stopped
//	1    a unit did not stop, or systemd did not answer
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage down
func Down() error { return app.Run(hotstack, (*app.App).Down) }

// Status shows each service's unit state and health; exit 0 only if all are healthy.
//
// One row per service: its unit state, health, time since its last change, and its restarts; one
// that is not healthy shows why (its unit's result, how its process ended last, its last log
// line). It says so when nothing is installed, and warns of images with package updates pending
// (from the last mage images check).
//
// Switches:
//
//	HOTSTACK_OUTPUT=json      print the rows as JSON, for scripts
//	HOTSTACK_IMAGE_CACHE=DIR  where the last update check is read (default
//	                          /var/cache/hotstack-os/apt)
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    every service is active and healthy
//	1    a service is not (also when interrupted), or nothing is installed
//
// Example:
//
//	HOTSTACK_OUTPUT=json mage status | jq -r '.[] | select(.healthy | not) | .service'
func Status() error { return app.Run(hotstack, (*app.App).Status) }

// Plan shows what install, infra:setup and up would change, and changes nothing.
//
// The files install would write, as unified diffs with the secrets masked; the bridges, address,
// network, host-file entries and directories infra:setup would make; and what up would do to the
// units: enable hotstack-os.target, restart the running services whose inputs changed (with why),
// start the rest. Exit status as terraform plan -detailed-exitcode. go run reports every non-zero
// status as 1: scripts that need the 2 run an installed mage, or mage -compile's binary.
//
// Switches:
//
//	HOTSTACK_ENV=FILE            read this .env, which must exist, instead of ./.env (without
//	                             ./.env: the built-in defaults)
//	HOTSTACK_ROOT=DIR            plan an install under DIR: files only
//	HOTSTACK_SKIP_IMAGE_CHECK=1  do not check that the images exist (staging)
//	HOTSTACK_CONFIGS_DIR=DIR     the configuration templates (default ./templates/configs)
//	HOTSTACK_SCRIPTS_DIR=DIR     the script templates (default ./templates/scripts)
//	HOTSTACK_LOG_FORMAT=json     log JSON lines, and an error as one JSON object (default
//	                             console)
//
// Exit status:
//
//	0    nothing would change
//	1    a failure: the plan is unknown
//	2    changes pending
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage plan; [ $? -eq 2 ] && mage up   # up only when something would change
func Plan() error { return app.Run(hotstack, (*app.App).Plan) }

// Graph prints the service graph as Graphviz DOT.
//
// Each service with its layer and dependencies, as bring-up orders them; docs/stack.svg is the
// same graph, drawn.
//
// Switches:
//
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    printed
//	1    standard output could not be written
//
// Example:
//
//	mage graph | dot -Tsvg > stack.svg
func Graph() error { return app.Run(hotstack, (*app.App).Graph) }

// Logs follows the journal of every hotstack-os unit, or of one service's.
//
// One service: mage logs keystone or mage logs -service=keystone. The units' lines are interleaved
// by time, each prefixed with its service. Ctrl-C ends the follow (exit 0). Without a journal on
// the host it says so.
//
// Switches:
//
//	HOTSTACK_LOGS_LINES=N     how many lines of history logs shows first (default 50)
//	HOTSTACK_LOGS_FOLLOW=0    logs prints the history and exits instead of following
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    the journal was shown
//	1    an unknown service, or no journal to read
//
// Example:
//
//	HOTSTACK_LOGS_FOLLOW=0 HOTSTACK_LOGS_LINES=200 mage logs nova-compute
func Logs(service *string) error { return app.Run(hotstack, app.LogsTarget(service)) }

// Smoke uses the running cloud as a cloud user would; exit 0 only if every check passes.
//
// The control plane first, then the data plane: a Heat stack of two guests reached over SSH
// (trunk, volumes, metadata, DNS, egress) and the server lifecycle. One PASS, FAIL or SKIP line
// per check, with its time; everything it creates is deleted again.
//
// Switches:
//
//	HOTSTACK_ENV=FILE                  the .env whose admin password and region it uses
//	HOTSTACK_SMOKE_LIFECYCLE=0         smoke leaves out the server-lifecycle checks (UEFI boot,
//	                                   volume-backed rebuild, rescue)
//	HOTSTACK_SMOKE_EGRESS_URL=URL      a page outside the cloud a smoke guest fetches (without
//	                                   it that check is SKIP)
//	HOTSTACK_SMOKE_EGRESS_EXPECT=TEXT  text the page at HOTSTACK_SMOKE_EGRESS_URL must hold
//	HOTSTACK_LOG_FORMAT=json           log JSON lines, and an error as one JSON object (default
//	                                   console)
//
// Exit status:
//
//	0    every check passed (or was skipped, saying why)
//	1    a check failed
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_SMOKE_LIFECYCLE=0 mage smoke   # without UEFI boot, rebuild and rescue
func Smoke() error { return app.Run(hotstack, (*app.App).Smoke) }

// PostSetup makes the running cloud ready for HotStack: project, user, networks, credentials.
//
// The hotstack project and user, quotas, flavors, the public and private networks, router,
// security group rules, keypair, application credential, clouds.yaml (/etc/openstack, 0600: clouds
// hotstack-os and hotstack-os-admin), HotStack's cloud-secret.yaml, and the test guest image. One
// line per resource; a second run changes nothing. mage up runs it at its end.
//
// Switches:
//
//	HOTSTACK_ENV=FILE         read this .env, which must exist, instead of ./.env (without
//	                          ./.env: the built-in defaults)
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    the cloud is ready
//	1    a resource could not be made, or an API did not answer
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	mage postsetup && OS_CLOUD=hotstack-os openstack server list
func PostSetup() error { return app.Run(hotstack, (*app.App).PostSetup) }

// Images builds the images the units name from the release's Debian packages.
//
// The release is .env's OPENSTACK_RELEASE: 2025.1 (the default) from Debian 13, or zed from Debian
// 12; the images, and the test guest post-setup uploads, are tagged with it. It rebuilds an image
// whose recipe changed or whose packages have updates in the archive, and the images built on it;
// the rest are kept. On a host whose hybrid cgroups crun refuses, it mounts hugetlb's own
// hierarchy first and says so. The first build takes 3.5 to 5 minutes; mage up builds only the
// images missing.
//
// Switches:
//
//	HOTSTACK_ENV=FILE           the .env whose OPENSTACK_RELEASE is built
//	HOTSTACK_FORCE_IMAGES=1     rebuild every image, changed or not
//	HOTSTACK_IMAGE_UPDATES=0    do not check the archive for package updates (nor rebuild an
//	                            image for any)
//	HOTSTACK_DEBIAN_MIRROR=URL  the Debian archive the images are built from (default
//	                            http://deb.debian.org/debian)
//	HOTSTACK_IMAGE_CACHE=DIR    apt's lists and packages kept between builds, and the last
//	                            update check (default /var/cache/hotstack-os/apt)
//	HOTSTACK_LOG_FORMAT=json    log JSON lines, and an error as one JSON object (default
//	                            console)
//
// Exit status:
//
//	0    every image is built and up to date
//	1    a build failed (its output says where)
//	130  interrupted (Ctrl-C or SIGTERM)
//
// Example:
//
//	HOTSTACK_FORCE_IMAGES=1 mage images
func Images() error { return app.Run(hotstack, (*app.App).Images) }

// Doctor checks every host prerequisite and prints the fix for each one missing.
//
// Required: root; systemd as PID 1; Go 1.26 (https://go.dev/dl/: Debian 12's is 1.19); the Debian
// packages podman, mmdebstrap, openvswitch-switch, libvirt-daemon-system, qemu-system-x86, ovmf
// and nftables; Open vSwitch and libvirtd answering; cgroups podman can use; memory and disk.
// Optional, each with what happens without it: the openstack command, Open vSwitch's kernel
// datapath, and KVM (without it guests run under emulation, several times slower). It changes
// nothing.
//
// Switches:
//
//	HOTSTACK_ENV=FILE         the .env whose HOTSTACK_DATA_DIR the disk check measures
//	HOTSTACK_LOG_FORMAT=json  log JSON lines, and an error as one JSON object (default console)
//
// Exit status:
//
//	0    every required prerequisite is present
//	1    one or more are missing, each named with its fix (also when interrupted)
//
// Example:
//
//	mage doctor && mage up
func Doctor() error { return app.Run(hotstack, (*app.App).Doctor) }
