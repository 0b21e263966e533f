//go:build e2e

package e2e

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/testrun"
	"github.com/hotstack-os/hotstack-os/stack"
)

// TestRealCloud is the real-stack tier: the images `mage images` builds
// from Debian's packages (on the host, cached between runs), then in a
// booted box: install, up, smoke; down, up again (the databases are
// populated now), smoke again; uninstall with purge. It logs the figures
// the README reports: image build, both bring-ups with their critical
// path, smoke, and the containers' memory at rest.
func TestRealCloud(t *testing.T) {
	s, err := testrun.SwitchesFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if !s.E2ECloud {
		t.Skip("HOTSTACK_E2E_CLOUD=0")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("mmdebstrap is not installed")
	}

	// The images, on the host: the box reads the host's store.
	start := time.Now()
	build := exec.Command("go", "run", "mage.go", "images")
	build.Dir = repo
	out, err := build.CombinedOutput()
	if err != nil {
		t.Fatalf("mage images: %v\n%s", err, tail(string(out), 40))
	}
	t.Logf("mage images: %s: %s", time.Since(start).Round(100*time.Millisecond), lastLine(string(out)))

	b := BootWith(t, BootOptions{HostImages: true, Libvirt: true})
	c := &Stack{Box: b, MageBin: compileMage(t), EnvFile: "/etc/hotstack-os-e2e.env"}
	// The Quick start's .env: .env.example as shipped, with only the
	// box's chassis name added. Nothing names the datapath: auto must
	// find that this kernel has no openvswitch module.
	example, err := os.ReadFile(filepath.Join(repo, ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	env := string(example) + "CHASSIS_HOSTNAME=e2e-box\n"
	c.WriteFile(t, c.EnvFile, env, 0o600)
	// Before install and up: setup copies the box's resolvers for dnsmasq.
	egress := c.makeInternet(t)
	// One image of post-setup's catalogue comes from the stand-in
	// internet; the others' default URLs do not resolve there.
	c.WriteFile(t, c.EnvFile, env+"HOTSTACK_IPXE_BIOS_URL=http://"+internetName+"/"+internetImage+"\n", 0o600)
	c.MustMage(t, nil, "install")

	// Each takes the subtest's own t: a Fatal on the parent from inside
	// a subtest would panic the run instead of reporting the failure.
	// Each up is a benchmark too: its wall and CPU time, and where the CPU
	// went (logged, never asserted: the machine is shared).
	up := func(t *testing.T, name string) string {
		cpu := c.machineCPU(t)
		out, took, err := c.Mage(nil, "up")
		if err != nil {
			t.Fatalf("%s: mage up: %v\n%s", name, err, tail(out, 80))
		}
		t.Logf("%s: mage up %s: %s", name, took.Round(100*time.Millisecond), upSummary(out))
		t.Logf("%s: benchmark: %s", name, cpuReport(took, c.machineCPU(t)-cpu, c.containerCPU(t)))
		if !strings.Contains(out, "export OS_CLOUD=hotstack-os") {
			t.Errorf("%s: up did not end by saying how to use the cloud:\n%s", name, tail(out, 10))
		}
		return out
	}
	// The first smoke runs every check; the later ones, which prove the
	// cloud survived a restart, leave out the server-lifecycle checks
	// (each boots a guest again under emulation: minutes of CI).
	smoke := func(t *testing.T, name string) {
		env := egress
		if name != "first smoke" {
			env = append(slices.Clone(egress), "HOTSTACK_SMOKE_LIFECYCLE=0")
		}
		out, took, err := c.Mage(env, "smoke")
		t.Logf("%s: mage smoke %s:\n%s", name, took.Round(100*time.Millisecond), out)
		if err != nil {
			// The journal first and the failed checks last: a CI report
			// shows only the tail, and the failure must be in it.
			t.Fatalf("%s: mage smoke failed: %v\n%s\n--- the data plane:\n%s\n--- the smoke's failed checks:\n%s",
				name, err, c.journalTails(t), c.dataPlaneState(), failedChecks(out))
		}
	}

	step(t, "first up", func(t *testing.T) {
		out := up(t, "first up")
		// The two images of one URL share one download; an image whose
		// source cannot be reached is skipped, and up goes on.
		for _, want := range []string{"downloaded ipxe-boot-usb: 3.0 MiB", "created  image ipxe-boot-usb: raw", "created  image ipxe-rescue-bios: raw", "skipped  image cirros: http://download.cirros-cloud.net/"} {
			if !strings.Contains(out, want) {
				t.Errorf("first up did not say %q:\n%s", want, tail(out, 60))
			}
		}
		if n := strings.Count(out, "downloaded "); n != 1 {
			t.Errorf("%d downloads, want 1", n)
		}
	})
	// RabbitMQ imported its one user at boot: the node made no guest
	// (loopback_users = none would let guest/guest in from anywhere).
	step(t, "RabbitMQ has the OpenStack user alone", func(t *testing.T) {
		out := c.MustExec(t, "podman", "exec", "hotstack-os-rabbitmq", "rabbitmqctl", "--quiet", "list_users")
		var users []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			// podman's own warnings (time="..." level=warning) share the output.
			if f := strings.Fields(line); len(f) > 0 && f[0] != "user" && !strings.HasPrefix(f[0], "time=") {
				users = append(users, f[0])
			}
		}
		if len(users) != 1 || users[0] != "openstack" {
			t.Errorf("RabbitMQ's users are %v, want [openstack]:\n%s", users, out)
		}
	})
	// A converged stack plans nothing: no service start undoes what
	// setup did (MariaDB once reset its data directory's mode).
	step(t, "plan after up is clean", func(t *testing.T) {
		if out, _, err := c.Mage(nil, "plan"); err != nil {
			t.Errorf("mage plan after up: %v\n%s", err, tail(out, 20))
		}
	})
	// The cloud's data is 2025.1's: a .env that names another release is
	// refused by up and plan before they change anything (no installed
	// file, unit or container), naming the way forward.
	step(t, "another release is refused and changes nothing", func(t *testing.T) {
		current := c.MustExec(t, "cat", c.EnvFile)
		want := "OPENSTACK_RELEASE=" + stack.DefaultRelease + "\n"
		if !strings.Contains(current, want) {
			t.Fatalf("the .env does not say %q", want)
		}
		c.WriteFile(t, c.EnvFile, strings.Replace(current, want, "OPENSTACK_RELEASE=zed\n", 1), 0o600)
		defer c.WriteFile(t, c.EnvFile, current, 0o600)
		c.MustExec(t, "sh", "-c", "sleep 1.1; touch /run/hotstack-os-e2e-release-mark")
		for _, target := range []string{"up", "plan"} {
			out, _, err := c.Mage(nil, target)
			if err == nil {
				t.Fatalf("mage %s accepted zed on a 2025.1 cloud:\n%s", target, tail(out, 20))
			}
			for _, says := range []string{"this cloud's data", "is OpenStack " + stack.DefaultRelease, "nothing was changed",
				"set OPENSTACK_RELEASE=" + stack.DefaultRelease, "mage backup", "HOTSTACK_PURGE=1 mage uninstall"} {
				if !strings.Contains(out, says) {
					t.Errorf("mage %s did not say %q:\n%s", target, says, tail(out, 10))
				}
			}
		}
		if changed := c.MustExec(t, "sh", "-c", "find /etc/hotstack-os /etc/systemd/system /var/lib/hotstack-os/runtime "+
			"/var/lib/hotstack-os/mysql/.hotstack-os-release -newer /run/hotstack-os-e2e-release-mark"); strings.TrimSpace(changed) != "" {
			t.Errorf("the refused release changed files:\n%s", changed)
		}
		if rec := c.MustExec(t, "cat", "/var/lib/hotstack-os/mysql/.hotstack-os-release"); !strings.HasSuffix(rec, "\n"+stack.DefaultRelease+"\n") {
			t.Errorf("the release record says %q, want %s", rec, stack.DefaultRelease)
		}
		c.WriteFile(t, c.EnvFile, current, 0o600)
		if out, _, err := c.Mage(nil, "plan"); err != nil {
			t.Errorf("mage plan with the cloud's own release again: %v\n%s", err, tail(out, 20))
		}
	})
	// up ran post-setup: a second one finds everything in place.
	// The journal reads cleanly: no terminal colour codes (oslo.log's
	// colour handler ends every line with one) and no keystone warning on
	// every login.
	step(t, "service logs read cleanly", func(t *testing.T) {
		out := c.MustExec(t, "sh", "-c", `journalctl --no-pager -o cat -u 'hotstack-os-*' | grep -m 3 -e "$(printf '\033')" -e 'Truncating password' || true`)
		if strings.TrimSpace(out) != "" {
			t.Errorf("the journal has colour codes or bcrypt warnings:\n%q", out)
		}
	})
	step(t, "post-setup again changes nothing", func(t *testing.T) {
		out := c.MustMage(t, nil, "postsetup")
		if !strings.Contains(out, "post-setup: 0 created") || strings.Contains(out, "updated") {
			t.Errorf("a second post-setup changed something:\n%s", out)
		}
		t.Logf("second post-setup: %s", lastLine(out))
	})
	step(t, "smoke", func(t *testing.T) { smoke(t, "first smoke") })
	step(t, "a LAN neighbour and a local user reach only the published API ports", func(t *testing.T) {
		c.checkExposure(t)
	})
	step(t, "memory at rest", func(t *testing.T) {
		time.Sleep(10 * time.Second) // let the services settle after the smoke
		total, rows := c.containerMemory(t)
		t.Logf("container memory at rest: %.2f GiB in %d containers", total/(1<<30), rows)
		if total > 4*(1<<30) {
			t.Errorf("containers use %.2f GiB at rest, above the 4 GiB goal", total/(1<<30))
		}
	})
	// Healthy means answering: right after status says healthy again,
	// every API answers (the admin password is the one install generated:
	// .env.example sets none).
	step(t, "APIs answer once healthy after a MariaDB and RabbitMQ restart", func(t *testing.T) {
		c.checkAPIsAfterRestart(t, c.generatedSecrets(t)["KEYSTONE_ADMIN_PASSWORD"])
	})
	// Fresh random secrets full of the characters quoting gets wrong: every
	// password changes (MariaDB's user, RabbitMQ's, Keystone's admin and
	// service users), the cloud must work with them, and they must leak
	// nowhere (systemctl show, the journal, ps, world-readable files).
	step(t, "awkward secrets: restart, smoke, no leak", func(t *testing.T) {
		c.checkSecrets(t, "", func(t *testing.T) { smoke(t, "smoke with awkward secrets") })
	})
	step(t, "down and up again", func(t *testing.T) {
		out := c.MustMage(t, nil, "down")
		t.Logf("mage down: %s", lastLine(out))
		c.requireAllInactive(t)
		// Every service stops on SIGTERM within its stop timeout: podman
		// never had to kill one.
		if killed := c.MustExec(t, "sh", "-c", "journalctl --no-pager -u 'hotstack-os*' | grep 'resorting to SIGKILL' || true"); strings.TrimSpace(killed) != "" {
			t.Errorf("containers killed at their stop timeout:\n%s", killed)
		}
		since := strings.TrimSpace(c.MustExec(t, "date", "+%s"))
		up(t, "second up")
		// A warm start skips the schema steps (seconds of CPU each) where
		// nothing changed, and keystone's only because the admin password
		// changed back from the awkward one.
		for svc, want := range map[string]string{
			"keystone": "admin's password is not the one in the environment",
			"glance":   "schema steps skipped", "placement": "schema steps skipped", "nova-api": "schema steps skipped",
			"neutron-server": "schema steps skipped", "cinder-api": "schema steps skipped", "heat-api": "schema steps skipped",
		} {
			journal := c.MustExec(t, "journalctl", "--no-pager", "-o", "cat", "--since", "@"+since, "-u", "hotstack-os-"+svc)
			if !strings.Contains(journal, want) {
				t.Errorf("%s's second start did not say %q:\n%s", svc, want, tail(journal, 15))
			}
		}
	})
	// No smoke of its own here: the restore below ends with a down, an up
	// and a smoke, which proves a restarted cloud works as well (two
	// minutes of CI saved).
	var backupDir, backupVolume string
	step(t, "backup: the databases, keys, images and volumes", func(t *testing.T) {
		backupDir, backupVolume = c.markAndBackUp(t)
	})
	step(t, "uninstall with purge", func(t *testing.T) {
		// A running guest of nova's (its disk in the instances
		// directory) and one of the operator's own: purge must stop and
		// undefine the first and leave the second alone.
		c.defineGuest(t, "instance-0000dead", "/var/lib/hotstack-os/nova-instances/dead/disk", true)
		c.defineGuest(t, "operators-own", "/var/tmp/operators-own.img", false)
		t.Cleanup(func() {
			_, _ = c.Exec("sh", "-c", "virsh -c qemu:///system destroy operators-own; virsh -c qemu:///system undefine operators-own")
		})
		out, _, err := c.Mage([]string{"HOTSTACK_PURGE=1", "HOTSTACK_PURGE_CONFIRM=yes"}, "uninstall")
		if err != nil {
			t.Fatalf("uninstall: %v\n%s", err, out)
		}
		if left := strings.TrimSpace(c.MustExec(t, "sh", "-c", "podman ps -a --format '{{.Names}}' | grep hotstack-os || true")); left != "" {
			t.Errorf("containers left after purge: %s", left)
		}
		if _, err := c.Exec("test", "-e", "/var/lib/hotstack-os"); err == nil {
			t.Errorf("the data directory survived the purge")
		}
		domains := c.MustExec(t, "virsh", "-c", "qemu:///system", "list", "--all", "--name")
		if strings.Contains(domains, "instance-0000dead") {
			t.Errorf("nova's guest survived the purge:\n%s", domains)
		}
		if !strings.Contains(domains, "operators-own") {
			t.Errorf("the purge removed the operator's own guest:\n%s", domains)
		}
		if _, err := c.Exec("test", "-e", "/var/tmp/operators-own.img"); err != nil {
			t.Errorf("the purge deleted the operator's own guest's disk")
		}
	})
	// A backup restores a working cloud: a new one comes up on the purged
	// host, takes the backup, and after a restart has the backed-up
	// admin, user, volume and image, and passes the smoke (its guests
	// boot from the restored image on the restored networks).
	step(t, "restore into a new cloud: users, images, volumes and networks come back", func(t *testing.T) {
		if backupDir == "" {
			t.Skip("no backup was taken")
		}
		up(t, "up after the purge")
		if out, _, err := c.Mage(nil, "restore", backupDir); err != nil {
			t.Fatalf("mage restore %s: %v\n%s", backupDir, err, tail(out, 20))
		}
		c.MustMage(t, nil, "down")
		up(t, "up after the restore")
		c.checkRestored(t, backupVolume)
		smoke(t, "smoke after the restore")
	})
}

// upSummary is up's last line: services, time, critical path and ratio.
func upSummary(out string) string {
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, "up: ") && !strings.Contains(l, "post-setup: ") {
			out = l
		}
	}
	return strings.TrimSpace(out)
}

// containerMemory sums the resident memory of the containers: for each,
// the anonymous and file pages its cgroup holds in RAM ("rss" plus
// "mapped_file" of the memory controller's memory.stat), so a page that
// forked workers share counts once. (podman stats cannot read the box's
// cgroups.)
func (s *Stack) containerMemory(t *testing.T) (bytes float64, containers int) {
	t.Helper()
	script := `for pid in $(podman ps --filter name=hotstack-os- --format '{{.Pid}}'); do
  path=$(sed -n 's/^[0-9]*:memory://p' /proc/$pid/cgroup)
  # The box's hierarchy is its own subtree of the host's: drop that first
  # component when the path is the host's.
  [ -e "/sys/fs/cgroup/memory$path" ] || path="/${path#/*/}"
  awk -v c="$path" '$1 == "rss" || $1 == "mapped_file" { n += $2 } END { print c, n }' "/sys/fs/cgroup/memory$path/memory.stat"
done`
	out := s.MustExec(t, "sh", "-c", script)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("cannot read the memory of a container: %q\n%s", line, out)
		}
		n, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatalf("cannot read %q", line)
		}
		bytes += n
		containers++
	}
	return bytes, containers
}

// machineCPU is the CPU time every core has spent busy since boot, from
// /proc/stat (user, nice, system, irq, softirq, steal): the box shares the
// host's kernel, so this is the whole machine's.
func (s *Stack) machineCPU(t *testing.T) time.Duration {
	t.Helper()
	out := s.MustExec(t, "sh", "-c", "head -1 /proc/stat; getconf CLK_TCK")
	lines := strings.Fields(out)
	if len(lines) < 10 || lines[0] != "cpu" {
		t.Fatalf("cannot read /proc/stat: %q", out)
	}
	hz, err := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err != nil {
		t.Fatalf("CLK_TCK: %q", out)
	}
	var ticks float64
	for i, f := range lines[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("/proc/stat: %q", out)
		}
		ticks += n
	}
	return time.Duration(ticks / hz * float64(time.Second))
}

// containerCPU is the CPU time each running container has used since it
// started (its cpuacct cgroup), by name.
func (s *Stack) containerCPU(t *testing.T) map[string]time.Duration {
	t.Helper()
	script := `podman ps --filter name=hotstack-os- --format '{{.Names}} {{.Pid}}' | while read name pid; do
  path=$(sed -n 's/^[0-9]*:[^:]*cpuacct[^:]*://p' /proc/$pid/cgroup)
  # cpuacct is mounted alone or beside cpu, depending on the host.
  for dir in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do
    [ -e "$dir$path/cpuacct.usage" ] && break
    [ -e "$dir/${path#/*/}/cpuacct.usage" ] && path="/${path#/*/}" && break
  done
  echo "$name $(cat "$dir$path/cpuacct.usage")"
done`
	out := s.MustExec(t, "sh", "-c", script)
	cpu := map[string]time.Duration{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("cannot read the CPU time of a container: %q\n%s", line, out)
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("cannot read %q", line)
		}
		cpu[strings.TrimPrefix(f[0], "hotstack-os-")] = time.Duration(ns)
	}
	return cpu
}

// cpuReport is a benchmark line: an operation's wall time, the machine's
// CPU time over it, the containers' share and the heaviest containers.
func cpuReport(wall, machine time.Duration, containers map[string]time.Duration) string {
	names := slices.Collect(maps.Keys(containers))
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(containers[b], containers[a]) })
	var total time.Duration
	for _, n := range names {
		total += containers[n]
	}
	var top []string
	for _, n := range names[:min(len(names), 8)] {
		top = append(top, fmt.Sprintf("%s %.1f", n, containers[n].Seconds()))
	}
	return fmt.Sprintf("%.1f s wall, %.1f CPU-s on the machine, %.1f CPU-s in the containers (%.1f outside); heaviest: %s",
		wall.Seconds(), machine.Seconds(), total.Seconds(), (machine - total).Seconds(), strings.Join(top, ", "))
}

// journalTails is the last journal lines of every hotstack-os unit, for
// a failure report.
func (s *Stack) journalTails(t *testing.T) string {
	out, _ := s.Exec("journalctl", "--no-pager", "-n", "300", "-u", "hotstack-os*")
	return out
}

// dataPlaneState is a compact picture of OVN and Open vSwitch for a failed
// smoke: port bindings (bound to which chassis, up or not), NAT rules,
// interfaces with their errors, conntrack's size and the box's neighbours
// on the provider bridge.
func (s *Stack) dataPlaneState() string {
	out, _ := s.Exec("sh", "-c", `podman exec hotstack-os-ovn-northd sh -c '`+
		`ovn-sbctl --format=csv --no-headings --columns=logical_port,type,chassis,up list Port_Binding; `+
		`ovn-nbctl --format=csv --no-headings --columns=type,external_ip,logical_ip list NAT' 2>&1 | grep -v level=warning; `+
		`ovs-vsctl --format=csv --no-headings --columns=name,ofport,error list Interface; `+
		`echo "conntrack entries: $(ovs-appctl dpctl/dump-conntrack | wc -l)"; ip neigh show dev hot-ex`)
	return out
}

// failedChecks is the FAIL lines of a smoke's output, or its tail when
// it failed before any check ran.
func failedChecks(out string) string {
	var failed []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "FAIL") {
			failed = append(failed, line)
		}
	}
	if len(failed) == 0 {
		return tail(out, 20)
	}
	return strings.Join(failed, "\n")
}

// defineGuest defines and starts a small libvirt guest named name with a
// 1 MiB raw disk at disk (created here), carrying nova's metadata when
// nova is true, as nova-compute defines its instances. It boots nothing
// (the disk is empty): it only has to run.
func (s *Stack) defineGuest(t *testing.T, name, disk string, nova bool) {
	t.Helper()
	metadata := ""
	if nova {
		metadata = `<metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>e2e</nova:name></nova:instance></metadata>`
	}
	xml := fmt.Sprintf(`<domain type='qemu'><name>%s</name>%s<memory unit='MiB'>32</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/><target dev='vda' bus='virtio'/></disk>
<graphics type='vnc' listen='127.0.0.1'/></devices></domain>`, name, metadata, disk)
	script := fmt.Sprintf("set -e; mkdir -p %q; truncate -s 1M %q; cat > /run/e2e-%s.xml; virsh -c qemu:///system define /run/e2e-%s.xml; virsh -c qemu:///system start %s",
		filepath.Dir(disk), disk, name, name, name)
	cmd := s.Command(nil, "sh", "-c", script)
	cmd.Stdin = strings.NewReader(xml)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("define the guest %s: %v\n%s", name, err, out)
	}
}
