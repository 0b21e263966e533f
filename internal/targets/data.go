package targets

import "github.com/hotstack-os/hotstack-os/internal/exitcode"

// The exit statuses most targets share. No target exits 64 (EX_USAGE):
// mage checks the command line itself and exits 2 on an unknown target or
// a missing argument, before any target runs.
func ok(meaning string) Exit     { return Exit{exitcode.OK, meaning} }
func failed(meaning string) Exit { return Exit{exitcode.Failure, meaning} }

var interrupted = Exit{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM)"}

// logFormat changes every target.
var logFormat = Use{Name: "HOTSTACK_LOG_FORMAT"}

// Switches are every HOTSTACK_* switch, in the order of the README's table.
var Switches = []Switch{
	{"HOTSTACK_ENV", "FILE", "read this `.env`, which must exist, instead of `./.env` (without " +
		"`./.env`: the built-in defaults)"},
	{"HOTSTACK_ROOT", "DIR", "write every path under this existing directory instead of `/` " +
		"(staging, tests): files only, no bridges or network"},
	{"HOTSTACK_SKIP_IMAGE_CHECK", "1", "do not check that the images exist (staging)"},
	{"HOTSTACK_POST_SETUP", "0", "`up` ends without post-setup: no `clouds.yaml`, networks, flavors " +
		"or test guest (which `up` then does not build either)"},
	{"HOTSTACK_STRICT_LAYERS", "1", "start layer by layer, not each service as soon as its " +
		"dependencies are healthy"},
	{"HOTSTACK_PURGE", "1", "`uninstall` also deletes the data, nova's guests, the containers, the " +
		"network and the bridges (after listing them and asking); `infra:cleanup` the bridges and network"},
	{"HOTSTACK_PURGE_CONFIRM", "yes", "answers the purge's question yes in advance: needed where " +
		"no terminal can ask it"},
	{"HOTSTACK_BACKUP_DIR", "DIR", "where `backup` makes its directories (default " +
		"`/var/backups/hotstack-os`; absolute, and not inside the data, which a purge deletes)"},
	{"HOTSTACK_LOG_FORMAT", "json", "log JSON lines, and an error as one JSON object (default " +
		"`console`)"},
	{"HOTSTACK_OUTPUT", "json", "`status` prints JSON, and an error as one JSON object (default " +
		"`text`)"},
	{"HOTSTACK_CONFIGS_DIR", "DIR", "the configuration templates (default `./templates/configs`)"},
	{"HOTSTACK_SCRIPTS_DIR", "DIR", "the script templates (default `./templates/scripts`)"},
	{"HOTSTACK_FORCE_IMAGES", "1", "rebuild every image, changed or not"},
	{"HOTSTACK_IMAGE_UPDATES", "0", "do not check the archive for package updates (nor rebuild " +
		"an image for any)"},
	{"HOTSTACK_DEBIAN_MIRROR", "URL", "the Debian archive the images are built from " +
		"(default `http://deb.debian.org/debian`)"},
	{"HOTSTACK_IMAGE_CACHE", "DIR", "apt's lists and packages kept between builds, and the last " +
		"update check (default `/var/cache/hotstack-os/apt`)"},
	{"HOTSTACK_LOGS_LINES", "N", "how many lines of history `logs` shows first (default 50)"},
	{"HOTSTACK_LOGS_FOLLOW", "0", "`logs` prints the history and exits instead of following"},
	{"HOTSTACK_SMOKE_EGRESS_URL", "URL", "a page outside the cloud a smoke guest fetches " +
		"(without it that check is SKIP)"},
	{"HOTSTACK_SMOKE_EGRESS_EXPECT", "TEXT", "text the page at `HOTSTACK_SMOKE_EGRESS_URL` must hold"},
	{"HOTSTACK_SMOKE_LIFECYCLE", "0", "`smoke` leaves out the server-lifecycle checks " +
		"(UEFI boot, volume-backed rebuild, rescue)"},
	{"HOTSTACK_E2E", "0", "`test` skips the end-to-end tiers"},
	{"HOTSTACK_E2E_CLOUD", "0", "`test` skips the real-cloud tier"},
	{"HOTSTACK_E2E_FOCUS", "STEPS", "the end-to-end journey runs only its steps whose name holds " +
		"one of these words, comma-separated (`secrets,logs`)"},
}

// All are the targets, in the order of the README's table: a first run's.
var All = []Target{
	{
		Func:    "Doctor",
		Summary: "checks every host prerequisite and prints the fix for each one missing.",
		About: []string{
			"Required: root; systemd as PID 1; Go 1.26 (https://go.dev/dl/: Debian 12's is 1.19); the " +
				"Debian packages podman, mmdebstrap, openvswitch-switch, libvirt-daemon-system, " +
				"qemu-system-x86, ovmf and nftables; Open vSwitch and libvirtd answering; cgroups " +
				"podman can use; memory and disk. Optional, each with what happens without it: the " +
				"`openstack` command, Open vSwitch's kernel datapath, and KVM (without it guests run " +
				"under emulation, several times slower). It changes nothing.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV", Doc: "the `.env` whose `HOTSTACK_DATA_DIR` the disk check measures"},
			logFormat,
		},
		Exits: []Exit{
			ok("every required prerequisite is present"),
			failed("one or more are missing, each named with its fix (also when interrupted)"),
		},
		Example: "mage doctor && mage up",
	},
	{
		Func:    "Up",
		Summary: "converges the host to `.env` and starts the stack, changing only what differs.",
		About: []string{
			"It builds the images podman lacks (of `.env`'s `OPENSTACK_RELEASE`: 2025.1 from Debian " +
				"13, the default, or zed from Debian 12), installs when the installed files differ from " +
				"what `.env` renders, sets up the host, restarts exactly the running services whose " +
				"inputs changed (saying why), starts the rest, each as soon as its dependencies are " +
				"healthy, and ends with post-setup and how to use the cloud: `export " +
				"OS_CLOUD=hotstack-os; openstack server list`. It converges, as `docker compose up` " +
				"does: on an unchanged, healthy stack it changes nothing; edit `.env` and run it again.",
			"Needs (`mage doctor` checks each): root; systemd as PID 1; Go 1.26; `apt-get install " +
				"podman mmdebstrap openvswitch-switch libvirt-daemon-system qemu-system-x86 ovmf " +
				"nftables`. Settings: `.env` (`cp .env.example .env`; every key is in the README's " +
				"Configuration table), or the built-in defaults without one.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_POST_SETUP", Doc: "end without post-setup: no `clouds.yaml`, networks, " +
				"flavors or test guest (not built either)"},
			{Name: "HOTSTACK_STRICT_LAYERS"},
			{Name: "HOTSTACK_SKIP_IMAGE_CHECK", Doc: "neither check nor build the images"},
			{Name: "HOTSTACK_DEBIAN_MIRROR", Doc: "the Debian archive missing images are built from"},
			{Name: "HOTSTACK_IMAGE_CACHE"},
			{Name: "HOTSTACK_CONFIGS_DIR"},
			{Name: "HOTSTACK_SCRIPTS_DIR"},
			logFormat,
		},
		Exits: []Exit{
			ok("every service is up and healthy (and post-setup done)"),
			failed("a failure; a service that did not get healthy is named with the last lines " +
				"of its journal"),
			interrupted,
		},
		Example: "HOTSTACK_STRICT_LAYERS=1 mage up",
	},
	{
		Func:    "Down",
		Summary: "stops the stack in reverse layer order; the infra oneshot, last, cleans up.",
		About: []string{
			"The units stay installed and enabled, so the stack starts again at boot; the data " +
				"stays. `mage up` starts it again, `mage uninstall` removes it.",
		},
		Switches: []Use{logFormat},
		Exits: []Exit{
			ok("every unit is stopped"),
			failed("a unit did not stop, or systemd did not answer"),
			interrupted,
		},
		Example: "mage down",
	},
	{
		Func:    "Status",
		Summary: "shows each service's unit state and health; exit 0 only if all are healthy.",
		About: []string{
			"One row per service: its unit state, health, time since its last change, and its " +
				"restarts; one that is not healthy shows why (its unit's result, how its process " +
				"ended last, its last log line). It says so when nothing is installed, and warns of " +
				"images with package updates pending (from the last `mage images` check).",
		},
		Switches: []Use{
			{Name: "HOTSTACK_OUTPUT", Doc: "print the rows as JSON, for scripts"},
			{Name: "HOTSTACK_IMAGE_CACHE", Doc: "where the last update check is read (default " +
				"`/var/cache/hotstack-os/apt`)"},
			logFormat,
		},
		Exits: []Exit{
			ok("every service is active and healthy"),
			failed("a service is not (also when interrupted), or nothing is installed"),
		},
		Example: "HOTSTACK_OUTPUT=json mage status | jq -r '.[] | select(.healthy | not) | .service'",
	},
	{
		Func:    "Plan",
		Summary: "shows what `install`, `infra:setup` and `up` would change, and changes nothing.",
		About: []string{
			"The files `install` would write, as unified diffs with the secrets masked; the " +
				"bridges, address, network, host-file entries and directories `infra:setup` would " +
				"make; and what `up` would do to the units: enable `hotstack-os.target`, restart the " +
				"running services whose inputs changed (with why), start the rest. Exit status as " +
				"`terraform plan -detailed-exitcode`. `go run` reports every non-zero status as 1: " +
				"scripts that need the 2 run an installed mage, or `mage -compile`'s binary.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_ROOT", Doc: "plan an install under DIR: files only"},
			{Name: "HOTSTACK_SKIP_IMAGE_CHECK"},
			{Name: "HOTSTACK_CONFIGS_DIR"},
			{Name: "HOTSTACK_SCRIPTS_DIR"},
			logFormat,
		},
		Exits: []Exit{
			ok("nothing would change"),
			failed("a failure: the plan is unknown"),
			{exitcode.ChangesPending, "changes pending"},
			interrupted,
		},
		Example: "mage plan; [ $? -eq 2 ] && mage up   # up only when something would change",
	},
	{
		Func:    "Images",
		Summary: "builds the images the units name from the release's Debian packages.",
		About: []string{
			"The release is `.env`'s `OPENSTACK_RELEASE`: 2025.1 (the default) from Debian 13, or zed " +
				"from Debian 12; the images, and the test guest post-setup uploads, are tagged " +
				"with it. It rebuilds an image whose recipe changed or whose packages have updates " +
				"in the archive, and the images built on it; the rest are kept. On a host whose " +
				"hybrid cgroups crun refuses, it mounts hugetlb's own hierarchy first and says so. " +
				"The first build takes 3.5 to 5 minutes; `mage up` builds only the images missing.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV", Doc: "the `.env` whose `OPENSTACK_RELEASE` is built"},
			{Name: "HOTSTACK_FORCE_IMAGES"},
			{Name: "HOTSTACK_IMAGE_UPDATES"},
			{Name: "HOTSTACK_DEBIAN_MIRROR"},
			{Name: "HOTSTACK_IMAGE_CACHE"},
			logFormat,
		},
		Exits: []Exit{
			ok("every image is built and up to date"),
			failed("a build failed (its output says where)"),
			interrupted,
		},
		Example: "HOTSTACK_FORCE_IMAGES=1 mage images",
	},
	{
		Func:    "Check",
		Summary: "validates `.env` and that every image exists; writes nothing.",
		About: []string{
			"Every key is checked against the schema, and every problem reported at once with " +
				"its line; the templates and units are rendered in memory; one `podman image " +
				"inspect` finds the images missing, and says how to get them.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_SKIP_IMAGE_CHECK", Doc: "check `.env` only"},
			{Name: "HOTSTACK_CONFIGS_DIR"},
			{Name: "HOTSTACK_SCRIPTS_DIR"},
			logFormat,
		},
		Exits: []Exit{
			ok("`.env` is valid and every image exists"),
			failed("a problem with `.env`, a template or an image, each named"),
			interrupted,
		},
		Example: "HOTSTACK_ENV=staging.env mage check",
	},
	{
		Func:    "Config",
		Summary: "checks, then renders the configuration templates into the data directory.",
		About: []string{
			"The templates of `templates/configs/` and `templates/scripts/` go to " +
				"`${HOTSTACK_DATA_DIR}/runtime/`: all " +
				"checked before any is written, all written or none, unchanged files untouched.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_CONFIGS_DIR"},
			{Name: "HOTSTACK_SCRIPTS_DIR"},
			{Name: "HOTSTACK_ROOT"},
			{Name: "HOTSTACK_SKIP_IMAGE_CHECK"},
			logFormat,
		},
		Exits: []Exit{
			ok("the configuration is rendered (or already was)"),
			failed("a problem with `.env`, a template or an image; nothing written"),
			interrupted,
		},
		Example: "HOTSTACK_CONFIGS_DIR=$PWD/my-configs mage config",
	},
	{
		Func:    "Install",
		Summary: "checks, renders the configuration, then writes the units, secrets and helper.",
		About: []string{
			"It writes the units, `/etc/hotstack-os` (the config with its secrets blanked, " +
				"`secrets.env`, the fingerprint key, the manifest), the rendered templates and the " +
				"helper binary, all or nothing, and enables `hotstack-os.target`, so the stack starts " +
				"at boot. It starts nothing (`mage up` does). A second install with the same `.env` " +
				"writes nothing.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_ROOT"},
			{Name: "HOTSTACK_SKIP_IMAGE_CHECK", Doc: "install without checking the images (staging)"},
			{Name: "HOTSTACK_CONFIGS_DIR"},
			{Name: "HOTSTACK_SCRIPTS_DIR"},
			logFormat,
		},
		Exits: []Exit{
			ok("installed (or already was)"),
			failed("a problem found before writing, or a write that failed, undone: the host is " +
				"as it was"),
			interrupted,
		},
		Example: "mkdir /tmp/stage && HOTSTACK_ROOT=/tmp/stage HOTSTACK_SKIP_IMAGE_CHECK=1 mage install",
	},
	{
		Func:    "Installed",
		Summary: "fails unless the installed files are what `.env` renders now.",
		About: []string{
			"It compares the units, the installed config, the secrets, the key and the rendered " +
				"templates with what `.env` renders, and looks for the helper binary; it writes nothing.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_ROOT"},
			{Name: "HOTSTACK_SKIP_IMAGE_CHECK"},
			{Name: "HOTSTACK_CONFIGS_DIR"},
			{Name: "HOTSTACK_SCRIPTS_DIR"},
			logFormat,
		},
		Exits: []Exit{
			ok("every installed file is current"),
			failed("one is missing or differs (the first is named), or `.env` has a problem"),
			interrupted,
		},
		Example: "mage installed || mage install",
	},
	{
		Func:    "PostSetup",
		Summary: "makes the running cloud ready for HotStack: project, user, networks, credentials.",
		About: []string{
			"The `hotstack` project and user, quotas, flavors, the `public` and `private` networks, " +
				"router, security group rules, keypair, application credential, `clouds.yaml` " +
				"(`/etc/openstack`, 0600: clouds `hotstack-os` and `hotstack-os-admin`), HotStack's " +
				"`cloud-secret.yaml`, and the test guest image. One line per resource; a second run " +
				"changes nothing. `mage up` runs it at its end.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			logFormat,
		},
		Exits: []Exit{
			ok("the cloud is ready"),
			failed("a resource could not be made, or an API did not answer"),
			interrupted,
		},
		Example: "mage postsetup && OS_CLOUD=hotstack-os openstack server list",
	},
	{
		Func:    "Smoke",
		Summary: "uses the running cloud as a cloud user would; exit 0 only if every check passes.",
		About: []string{
			"The control plane first, then the data plane: a Heat stack of two guests reached " +
				"over SSH (trunk, volumes, metadata, DNS, egress) and the server lifecycle. One " +
				"PASS, FAIL or SKIP line per check, with its time; everything it creates is deleted " +
				"again.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV", Doc: "the `.env` whose admin password and region it uses"},
			{Name: "HOTSTACK_SMOKE_LIFECYCLE"},
			{Name: "HOTSTACK_SMOKE_EGRESS_URL"},
			{Name: "HOTSTACK_SMOKE_EGRESS_EXPECT"},
			logFormat,
		},
		Exits: []Exit{
			ok("every check passed (or was skipped, saying why)"),
			failed("a check failed"),
			interrupted,
		},
		Example: "HOTSTACK_SMOKE_LIFECYCLE=0 mage smoke   # without UEFI boot, rebuild and rescue",
	},
	{
		Func:    "Logs",
		Arg:     "[SERVICE]",
		Summary: "follows the journal of every hotstack-os unit, or of one service's.",
		About: []string{
			"One service: `mage logs keystone` or `mage logs -service=keystone`. The units' " +
				"lines are interleaved by time, each prefixed with its service. Ctrl-C " +
				"ends the follow (exit 0). Without a journal on the host it says so.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_LOGS_LINES"},
			{Name: "HOTSTACK_LOGS_FOLLOW"},
			logFormat,
		},
		Exits: []Exit{
			ok("the journal was shown"),
			failed("an unknown service, or no journal to read"),
		},
		Example: "HOTSTACK_LOGS_FOLLOW=0 HOTSTACK_LOGS_LINES=200 mage logs nova-compute",
	},
	{
		Func:    "Graph",
		Summary: "prints the service graph as Graphviz DOT.",
		About: []string{
			"Each service with its layer and dependencies, as bring-up orders them; " +
				"`docs/stack.svg` is the same graph, drawn.",
		},
		Switches: []Use{logFormat},
		Exits: []Exit{
			ok("printed"),
			failed("standard output could not be written"),
		},
		Example: "mage graph | dot -Tsvg > stack.svg",
	},
	{
		Func:    "Infra.Setup",
		Summary: "sets up the host: bridges, hot-ex address, podman network, `/etc/hosts`, data dirs.",
		About: []string{
			"Open vSwitch's bridges `hot-int` and `hot-ex`, `BREX_IP` on `hot-ex`, the podman " +
				"network, the `/etc/hosts` block, the data directories, the nftables table for the guests' " +
				"egress. What the infra oneshot runs at boot, and `up` before it starts the stack; " +
				"each step says changed or unchanged, and a second run changes nothing.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_ROOT", Doc: "files only under DIR: no Open vSwitch, address, podman " +
				"network or exportfs"},
			logFormat,
		},
		Exits: []Exit{
			ok("the host is set up"),
			failed("a step failed, named with its error"),
			interrupted,
		},
		Example: "mage infra:setup",
	},
	{
		Func:    "Infra.Cleanup",
		Summary: "removes what `infra:setup` added to `/etc/hosts` and the firewall; the bridges stay.",
		About: []string{
			"What the infra oneshot runs when the stack stops: the `/etc/hosts` block and the " +
				"nftables table for the guests' egress go, and so does the provider network's place " +
				"in firewalld's trusted zone where firewalld runs. The bridges, the podman network " +
				"and the data directories stay; `HOTSTACK_PURGE=1` deletes the bridges and the network " +
				"too (`HOTSTACK_PURGE=1 mage uninstall` deletes the data).",
		},
		Switches: []Use{
			{Name: "HOTSTACK_PURGE", Doc: "also delete the bridges and the podman network"},
			{Name: "HOTSTACK_ENV"},
			{Name: "HOTSTACK_ROOT"},
			logFormat,
		},
		Exits: []Exit{
			ok("cleaned up"),
			failed("a step failed, named with its error"),
			interrupted,
		},
		Example: "HOTSTACK_PURGE=1 mage infra:cleanup",
	},
	{
		Func:    "Uninstall",
		Summary: "stops the stack and removes exactly what install wrote; the data stays.",
		About: []string{
			"It disables `hotstack-os.target` and says what it kept (the data, with its size; " +
				"the bridges; the network) and how to remove it.",
			"`HOTSTACK_PURGE=1` also deletes, for good, the data directories setup created " +
				"(databases, images, instance disks, volumes), nova's libvirt guests, the " +
				"containers, the podman network and the bridges. It lists them first and goes on " +
				"only when you answer yes on a terminal (offered a backup first), or, with no " +
				"terminal, when `HOTSTACK_PURGE_CONFIRM=yes` is set.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_PURGE", Doc: "also delete the data, nova's guests, the containers, " +
				"the network and the bridges"},
			{Name: "HOTSTACK_PURGE_CONFIRM"},
			{Name: "HOTSTACK_ROOT"},
			logFormat,
		},
		Exits: []Exit{
			ok("uninstalled (or nothing was installed)"),
			failed("a failure, or a purge not confirmed: then nothing was deleted"),
			interrupted,
		},
		Example: "mage backup && HOTSTACK_PURGE=1 HOTSTACK_PURGE_CONFIRM=yes mage uninstall",
	},
	{
		Func:    "Backup",
		Summary: "copies the databases, keys, images and volumes into a new root-only directory.",
		About: []string{
			"Every database (`mariadb-dump --all-databases --single-transaction` in the running " +
				"MariaDB container) and OVN's northbound database; `secrets.env`, " +
				"`generated-secrets.env`, `fingerprint.key`, `hotstack-os.env`, keystone's fernet and " +
				"credential keys and nova-compute's `compute_id` (the node the databases name); " +
				"Glance's images and Cinder's volumes. The directory, 0700, is " +
				"named by the time (UTC) under `/var/backups/hotstack-os`, and no purge deletes it. " +
				"The stack must be up; `mage restore DIR` brings it back.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_BACKUP_DIR"},
			{Name: "HOTSTACK_ROOT"},
			logFormat,
		},
		Exits: []Exit{
			ok("backed up; the last line names the directory"),
			failed("a failure; the incomplete directory is removed"),
			interrupted,
		},
		Example: "HOTSTACK_BACKUP_DIR=/srv/backups mage backup",
	},
	{
		Func:    "Restore",
		Arg:     "DIR",
		Summary: "loads a backup into the running stack: databases, keys, images and volumes.",
		About: []string{
			"The dumps go into the running MariaDB and ovn-northd, the keys back with their mode " +
				"and owner. A backup holding any other file is refused, and nothing changed. Then " +
				"restart the stack (`mage down`, `mage up`) so every service reads them.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_ROOT"},
			logFormat,
		},
		Exits: []Exit{
			ok("restored; restart the stack"),
			failed("`DIR` is not a backup, or a load failed"),
			interrupted,
		},
		Example: "mage restore /var/backups/hotstack-os/20260101T120000Z && mage down && mage up",
	},
	{
		Func:    "Test",
		Summary: "fails on hygiene findings, then runs every test tier.",
		About: []string{
			"As root it first installs the Debian packages the suite needs and builds every " +
				"release's images. Hygiene: `go mod tidy`, `gofmt`, `go vet`, staticcheck. Then the unit " +
				"and integration tests, the end-to-end suite on stand-in images, and the real " +
				"cloud.",
		},
		Switches: []Use{
			{Name: "HOTSTACK_E2E"},
			{Name: "HOTSTACK_E2E_CLOUD"},
			{Name: "HOTSTACK_E2E_FOCUS"},
			{Name: "HOTSTACK_DEBIAN_MIRROR"},
			{Name: "HOTSTACK_IMAGE_CACHE"},
			logFormat,
		},
		Exits: []Exit{
			ok("every tier passed"),
			failed("a hygiene finding or a failed test"),
			interrupted,
		},
		Example: "HOTSTACK_E2E=0 mage test   # hygiene, unit and integration tests only",
	},
}
