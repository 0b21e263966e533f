package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

// doctorHost is what the doctor reads: the host's files under Root, its
// commands through Runner, and the user it runs as. Tests give it a
// staging root and a fake runner.
type doctorHost struct {
	Root   string
	Runner execx.Runner
	EUID   int
	// FreeBytes is the free space of the filesystem holding path.
	FreeBytes func(path string) (uint64, error)
}

func (h doctorHost) path(p string) string { return filepath.Join(h.Root, p) }

func (h doctorHost) exists(p string) bool {
	_, err := os.Stat(h.path(p))
	return err == nil
}

func (h doctorHost) run(ctx context.Context, name string, args ...string) (string, error) {
	var out bytes.Buffer
	_, err := h.Runner.Run(ctx, execx.Command{Name: name, Args: args, Stdout: &out, Stderr: io.Discard})
	return out.String(), err
}

// doctorCheck is one prerequisite: Probe says what it found (an error when
// the prerequisite is missing), Fix how to get it. A missing Required one
// makes `up` fail; the others change how well the cloud runs.
type doctorCheck struct {
	Name     string
	Required bool
	Probe    func(ctx context.Context, h doctorHost) (string, error)
	Fix      string
}

// goMinor is the Go release go.mod asks for.
const goMinor = 26

// debianPackages are the host packages up needs, by the command or file
// that shows each is there.
var debianPackages = []string{"podman", "mmdebstrap", "openvswitch-switch",
	"libvirt-daemon-system", "qemu-system-x86", "ovmf", "nftables"}

// doctorChecks lists the prerequisites in the order a newcomer meets them.
func doctorChecks(dataDir string) []doctorCheck {
	return []doctorCheck{
		{Name: "root", Required: true, Fix: "run as root: sudo -i, then go run mage.go up",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				if h.EUID != 0 {
					return "", fmt.Errorf("running as uid %d", h.EUID)
				}
				return "uid 0", nil
			}},
		{Name: "systemd", Required: true, Fix: "the stack runs as systemd services: boot the host with systemd as PID 1",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				if !h.exists("/run/systemd/system") {
					return "", errors.New("systemd is not PID 1 (no /run/systemd/system)")
				}
				return "PID 1", nil
			}},
		{Name: fmt.Sprintf("Go 1.%d or newer", goMinor), Required: true,
			Fix: fmt.Sprintf("Debian 12's golang package is 1.19: download go1.%d from https://go.dev/dl/, unpack it into /usr/local and put /usr/local/go/bin on PATH", goMinor),
			Probe: func(ctx context.Context, h doctorHost) (string, error) {
				out, err := h.run(ctx, "go", "env", "GOVERSION")
				if err != nil {
					return "", errors.New("no go command on PATH")
				}
				v := strings.TrimSpace(out)
				if minor, ok := goMinorOf(v); !ok || minor < goMinor {
					return "", fmt.Errorf("%s is too old", v)
				}
				return v, nil
			}},
		{Name: "Debian packages", Required: true, Fix: "apt-get install " + strings.Join(debianPackages, " "),
			Probe: func(ctx context.Context, h doctorHost) (string, error) {
				missing := missingPackages(ctx, h, debianPackages)
				if len(missing) > 0 {
					return "", fmt.Errorf("missing %s", strings.Join(missing, ", "))
				}
				return strings.Join(debianPackages, ", "), nil
			}},
		{Name: "openstack command", Fix: "apt-get install python3-openstackclient (optional: mage smoke and post-setup do not need it)",
			Probe: func(ctx context.Context, h doctorHost) (string, error) {
				if missing := missingPackages(ctx, h, []string{"python3-openstackclient"}); len(missing) > 0 {
					return "", errors.New("python3-openstackclient is not installed")
				}
				return "python3-openstackclient", nil
			}},
		{Name: "Open vSwitch answers", Required: true, Fix: "systemctl enable --now openvswitch-switch",
			Probe: func(ctx context.Context, h doctorHost) (string, error) {
				if _, err := h.run(ctx, "ovs-vsctl", "--timeout=5", "show"); err != nil {
					return "", errors.New("ovs-vsctl show failed: ovsdb-server or ovs-vswitchd is not running")
				}
				return "ovs-vsctl show", nil
			}},
		{Name: "libvirtd answers", Required: true, Fix: "systemctl enable --now libvirtd",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				if !h.exists("/run/libvirt/libvirt-sock") {
					return "", errors.New("no /run/libvirt/libvirt-sock")
				}
				return "/run/libvirt/libvirt-sock", nil
			}},
		{Name: "cgroups podman can use", Required: true,
			Fix: "mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb (once per boot: crun refuses a hybrid layout whose hugetlb controller is in cgroup2)",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				controllers, err := os.ReadFile(h.path("/sys/fs/cgroup/unified/cgroup.controllers"))
				switch {
				case err == nil && strings.Contains(string(controllers), "hugetlb"):
					return "", errors.New("hybrid: the hugetlb controller is in cgroup2 beside v1 hierarchies")
				case err == nil:
					return "hybrid, hugetlb in its own hierarchy", nil
				case h.exists("/sys/fs/cgroup/cgroup.controllers"):
					return "cgroup2", nil
				}
				return "cgroup v1", nil
			}},
		{Name: "Open vSwitch kernel datapath", Fix: "none needed: OVS_DATAPATH_TYPE=auto (the default) uses the userspace datapath (netdev)",
			Probe: func(ctx context.Context, h doctorHost) (string, error) {
				if h.exists("/sys/module/openvswitch") {
					return "module loaded", nil
				}
				if _, err := h.run(ctx, "modprobe", "--dry-run", "--quiet", "openvswitch"); err != nil {
					return "", errors.New("no openvswitch kernel module")
				}
				return "module installed", nil
			}},
		{Name: "KVM", Fix: "none needed: guests run under QEMU emulation (TCG), several times slower; enable virtualization in the firmware or the VM for /dev/kvm",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				if !h.exists("/dev/kvm") {
					return "", errors.New("no /dev/kvm")
				}
				return "/dev/kvm (up checks that a guest really runs with it)", nil
			}},
		{Name: "memory", Fix: "the stack uses about 3 GiB at rest; each guest takes its flavor's RAM on top",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				total, err := memTotal(h.path("/proc/meminfo"))
				if err != nil {
					return "", err
				}
				if total < 8<<30 {
					return "", fmt.Errorf("%s in all, below 8 GiB", humanBytes(int64(total)))
				}
				return humanBytes(int64(total)) + " in all", nil
			}},
		{Name: "disk", Fix: "the images take about 10 GiB in /var/lib/containers and guests' disks grow in " + dataDir + ": free 20 GiB or set HOTSTACK_DATA_DIR elsewhere",
			Probe: func(_ context.Context, h doctorHost) (string, error) {
				dir := nearestExisting(h.path(dataDir))
				free, err := h.FreeBytes(dir)
				if err != nil {
					return "", err
				}
				if free < 20<<30 {
					return "", fmt.Errorf("%s free in %s, below 20 GiB", humanBytes(int64(free)), dir)
				}
				return fmt.Sprintf("%s free in %s", humanBytes(int64(free)), dir), nil
			}},
	}
}

// Doctor reports each host prerequisite as present or missing, with the
// command that fixes a missing one. It changes nothing; it fails when a
// required one is missing.
func (a *App) Doctor(ctx context.Context) error {
	dataDir := "/var/lib/hotstack-os"
	if cfg, err := a.config(); err == nil {
		dataDir = cfg.Get("HOTSTACK_DATA_DIR")
	}
	root := a.o.Root
	if root == "" {
		root = "/"
	}
	h := doctorHost{Root: root, Runner: a.o.Runner, EUID: os.Geteuid(), FreeBytes: freeBytes}
	return runDoctor(ctx, a.o.Stdout, h, doctorChecks(dataDir))
}

func runDoctor(ctx context.Context, out io.Writer, h doctorHost, checks []doctorCheck) error {
	var missing []string
	for _, c := range checks {
		found, err := c.Probe(ctx, h)
		switch {
		case err == nil:
			fmt.Fprintf(out, "ok       %-30s %s\n", c.Name, found)
		case c.Required:
			missing = append(missing, c.Name)
			fmt.Fprintf(out, "MISSING  %-30s %v\n         fix: %s\n", c.Name, err, c.Fix)
		default:
			fmt.Fprintf(out, "optional %-30s %v\n         %s\n", c.Name, err, c.Fix)
		}
	}
	if len(missing) > 0 {
		return &exitcode.Error{Code: exitcode.Failure, Err: fmt.Errorf("doctor: %d prerequisite(s) missing: %s", len(missing), strings.Join(missing, ", "))}
	}
	fmt.Fprintln(out, "doctor: every prerequisite is present; go run mage.go up")
	return nil
}

// missingPackages are those of pkgs dpkg does not list as installed.
func missingPackages(ctx context.Context, h doctorHost, pkgs []string) []string {
	out, _ := h.run(ctx, "dpkg-query", append([]string{"-W", "-f=${Package} ${Status}\n"}, pkgs...)...)
	installed := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if name, status, ok := strings.Cut(line, " "); ok && strings.HasSuffix(status, " installed") {
			installed[strings.SplitN(name, ":", 2)[0]] = true
		}
	}
	var missing []string
	for _, p := range pkgs {
		if !installed[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

// goMinorOf is the minor release of a Go version string ("go1.26.8").
func goMinorOf(v string) (int, bool) {
	rest, ok := strings.CutPrefix(v, "go1.")
	if !ok {
		return 0, false
	}
	minor, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(minor)
	return n, err == nil
}

// memTotal is MemTotal of a /proc/meminfo, in bytes.
func memTotal(meminfo string) (uint64, error) {
	f, err := os.Open(meminfo)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kib, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib << 10, err
		}
	}
	return 0, fmt.Errorf("%s has no MemTotal", meminfo)
}

// nearestExisting is path, or its closest ancestor that exists.
func nearestExisting(path string) string {
	for {
		if _, err := os.Stat(path); err == nil || path == filepath.Dir(path) {
			return path
		}
		path = filepath.Dir(path)
	}
}

func freeBytes(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
