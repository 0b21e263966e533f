//go:build e2e

// Package e2e proves hotstack-os end to end: a real systemd 252 booted as
// PID 1 of private PID, mount and network namespaces on an overlay of the
// host (every write lands in a tmpfs), with podman and Open vSwitch inside,
// and busybox stand-in images under the names the units use.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BoxRepo is where the box sees this checkout, read-only, wherever it
// lives on the host: a fixed path, so nothing depends on the checkout's own
// (it may hold spaces, or lie under a directory the box mounts over). It is
// under /var/tmp on purpose: the tree there is world-readable, as in a
// checkout under /tmp or /var, and the secrets check searches it.
const BoxRepo = "/var/tmp/hotstack-os-e2e-src"

// initScript becomes PID 1 of the new namespaces, with the checkout, a
// fresh empty scratch directory (on the host), BoxRepo and the box's cgroup
// name as arguments. It
// never lets systemd see the host's root filesystem writable:
// systemd-tmpfiles wipes /tmp of whatever root it boots on, so it boots on
// an overlay whose upper layer is a tmpfs mounted over the scratch
// directory. Paths with spaces, commas or colons are fine: the overlay's
// options name its layers relative to the scratch directory.
//
// systemd also gets a /sys/fs/cgroup of its own: a tmpfs holding bind
// mounts of the host's controller hierarchies under their own names (and
// its symlinks). What systemd creates there at boot (directories for the
// controllers it would mount jointly, symlinks) stays in the box; on the
// host's /sys/fs/cgroup it made podman fail afterwards. Of each hierarchy
// the box sees only a cgroup of its own (the box's cgroup name), in a
// cgroup namespace rooted there: two boxes at once (this suite's, another
// suite's) never share a unit's cgroup, nor does a box with the leftovers
// of one just killed, which the host's release agent may be removing (a
// unit then failed with 219/CGROUP).
//
// With HOTSTACK_E2E_PERSIST=1 the box keeps what it writes on disk, in the
// scratch directory (the overlay's upper layer, and podman's store in
// scratch/containers), so a second box booted on the same directory finds
// it: a reboot. Such a box tells systemd it runs in a container, so that
// a poweroff ends its PID namespace and nothing else (outside a container,
// systemd's shutdown would detach the host's loop and DM devices and turn
// off its swap).
const initScript = `#!/bin/bash
set -euo pipefail
repo="$1" scratch="$2" boxrepo="$3" box="$4"
if [ "${HOTSTACK_E2E_STAGE:-}" != 2 ]; then
  for c in /sys/fs/cgroup/*; do
    if [ -L "$c" ] || ! mountpoint -q "$c"; then continue; fi
    mkdir -p "$c/$box"
    for f in cpuset.cpus cpuset.mems; do
      if [ -f "$c/$box/$f" ] && [ -z "$(cat "$c/$box/$f")" ]; then cat "$c/$f" > "$c/$box/$f"; fi
    done
    echo $$ > "$c/$box/cgroup.procs"
  done
  HOTSTACK_E2E_STAGE=2 exec unshare --cgroup "$0" "$@"
fi
persist="${HOTSTACK_E2E_PERSIST:-}"
mount --make-rprivate /
if [ "$persist" != 1 ]; then mount -t tmpfs -o size=8g tmpfs "$scratch"; fi
cd "$scratch"
mkdir -p upper work root containers
mount -t overlay overlay -o lowerdir=/,upperdir=upper,workdir=work root
cd root
mount -t proc proc proc
mount --rbind /sys sys
mount -t tmpfs -o mode=755 cgroup sys/fs/cgroup
for c in /sys/fs/cgroup/*; do
  n="${c##*/}"
  if [ -L "$c" ]; then
    ln -s "$(readlink "$c")" "sys/fs/cgroup/$n"
  elif mountpoint -q "$c"; then
    mkdir "sys/fs/cgroup/$n" && mount --bind "$c/$box" "sys/fs/cgroup/$n"
  fi
done
mount --rbind /dev dev
mount -t tmpfs tmpfs run
mount -t tmpfs tmpfs tmp
mkdir -p var/lib/containers
if [ "$persist" = 1 ]; then mount --bind ../containers var/lib/containers; else mount -t tmpfs -o size=4g tmpfs var/lib/containers; fi
if [ "${HOTSTACK_E2E_HOST_IMAGES:-}" = 1 ]; then
  # The images mage images built on the host, read-only: no copy needed.
  mkdir -p var/lib/host-containers && mount --bind -o ro /var/lib/containers/storage var/lib/host-containers
fi
mkdir -p "./$boxrepo" && mount --bind "$repo" "./$boxrepo" && mount -o remount,bind,ro "./$boxrepo"
# podman on this machine: no CAP_SYS_RESOURCE, cgroupfs manager.
mkdir -p etc/containers
printf '[containers]\ndefault_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]\n[engine]\ncgroup_manager = "cgroupfs"\n' > etc/containers/containers.conf
if [ "${HOTSTACK_E2E_HOST_IMAGES:-}" = 1 ]; then
  printf '[storage]\ndriver = "overlay"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n[storage.options]\nadditionalimagestores = ["/var/lib/host-containers"]\n' > etc/containers/storage.conf
fi
ip link set lo up
mkdir -p oldroot
pivot_root . oldroot
umount -l /oldroot
if [ "$persist" = 1 ]; then export container=hotstack-os-e2e; fi
exec /lib/systemd/systemd --system --unit=multi-user.target
`

// cgroupListing describes the host's /sys/fs/cgroup: each entry's name,
// type and, for a symlink, target.
func cgroupListing(t *testing.T) string {
	t.Helper()
	entries, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		t.Fatalf("list /sys/fs/cgroup: %v", err)
	}
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %v", e.Name(), e.Type())
		if e.Type()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(filepath.Join("/sys/fs/cgroup", e.Name()))
			fmt.Fprintf(&b, " -> %s", target)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Box is a running systemd in its own namespaces.
type Box struct {
	t    *testing.T
	cmd  *exec.Cmd
	pid  int // systemd's PID in the host namespace
	Repo string
	log  bytes.Buffer
	// Started is when the box's process started: its power-on.
	Started time.Time
	// cgroup is the name of the box's own cgroup in every hierarchy.
	cgroup string
}

// prepareHost applies the one host-side adjustment podman needs on this
// machine: crun refuses hybrid cgroups while cgroup2 still holds a
// controller, so hugetlb gets its own v1 hierarchy (once per boot).
func prepareHost(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/hugetlb/tasks"); err == nil {
		return
	}
	_ = os.MkdirAll("/sys/fs/cgroup/hugetlb", 0o755)
	if out, err := exec.Command("mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", "/sys/fs/cgroup/hugetlb").CombinedOutput(); err != nil {
		t.Logf("hugetlb cgroup mount: %v: %s (continuing)", err, out)
	}
}

// BootOptions vary a box.
type BootOptions struct {
	// HostImages lets the box's podman read the host's image store
	// (read-only), for the images `mage images` built.
	HostImages bool
	// Libvirt starts libvirtd, for nova-compute.
	Libvirt bool
	// Persist keeps what the box writes in this directory (see
	// initScript): boot a second box on it to reboot.
	Persist string
	// Untouched types nothing in the box once systemd answers (no
	// service started, no directory made) and does not wait for the boot
	// to finish: a reboot as the operator gets it.
	Untouched bool
}

// Boot starts a box and waits until systemd, D-Bus and Open vSwitch are up.
func Boot(t *testing.T) *Box { return BootWith(t, BootOptions{}) }

// BootWith is Boot with options.
func BootWith(t *testing.T, o BootOptions) *Box {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e needs root")
	}
	for _, tool := range []string{"unshare", "nsenter", "podman", "ovs-vsctl", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	prepareHost(t)
	repo, err := repoDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "init.sh")
	if err := os.WriteFile(script, []byte(initScript), 0o755); err != nil {
		t.Fatal(err)
	}
	scratch := filepath.Join(dir, "box")
	if o.Persist != "" {
		scratch = o.Persist
	} else if err := os.Mkdir(scratch, 0o700); err != nil {
		t.Fatal(err)
	}
	b := &Box{t: t, Repo: BoxRepo, cgroup: fmt.Sprintf("hotstack-os-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())}
	// The box must leave the host's cgroup tree as it found it: checked
	// once it has booted, and again after it is killed (cleanups run last
	// registered first, so this one runs after Kill).
	cgroups := cgroupListing(t)
	t.Cleanup(func() {
		if after := cgroupListing(t); after != cgroups {
			t.Errorf("the box changed the host's /sys/fs/cgroup:\nbefore:\n%safter it was killed:\n%s", cgroups, after)
		}
	})
	// --kill-child and Pdeathsig: if this test process dies without its
	// cleanup, unshare is killed and takes the box's PID 1 (and with it
	// the whole namespace) along, so no box outlives its test.
	b.cmd = exec.Command("unshare", "--pid", "--fork", "--kill-child=SIGKILL", "--mount", "--net", "--propagation", "private", script, repo, scratch, BoxRepo, b.cgroup)
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	b.cmd.Env = os.Environ()
	if o.HostImages {
		b.cmd.Env = append(b.cmd.Env, "HOTSTACK_E2E_HOST_IMAGES=1")
	}
	if o.Persist != "" {
		b.cmd.Env = append(b.cmd.Env, "HOTSTACK_E2E_PERSIST=1")
	}
	b.cmd.Stdout, b.cmd.Stderr = &b.log, &b.log
	b.Started = time.Now()
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Kill)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b.pid == 0 {
			b.pid = findChild(b.cmd.Process.Pid)
		}
		if b.pid != 0 {
			out, err := b.Exec("systemctl", "is-system-running")
			s := strings.TrimSpace(out)
			if s == "running" || s == "degraded" || o.Untouched && (err == nil || s == "starting") {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if b.pid == 0 {
		t.Fatalf("box did not boot:\n%s", b.log.String())
	}
	if after := cgroupListing(t); after != cgroups {
		t.Errorf("booting the box changed the host's /sys/fs/cgroup:\nbefore:\n%safter:\n%s", cgroups, after)
	}
	if o.Untouched {
		return b
	}
	b.MustExec(t, "systemctl", "start", "openvswitch-switch.service")
	if o.Libvirt {
		b.MustExec(t, "systemctl", "start", "libvirtd.service")
	}
	// Host paths that units mount and nothing installs; created after
	// boot, since systemd recreates /run.
	b.MustExec(t, "mkdir", "-p", "/run/libvirt", "/etc/iscsi", "/var/lib/iscsi")
	return b
}

// repoDir is the checkout on the host: the module root, two levels up from
// this package.
func repoDir() (string, error) { return filepath.Abs(filepath.Join("..", "..")) }

// findChild returns the PID of unshare's forked child (PID 1 inside).
func findChild(parent int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	pid, _ := strconv.Atoi(f[0])
	// PID 1 execs systemd after the init script; wait for that.
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); !strings.Contains(exe, "systemd") {
		return 0
	}
	return pid
}

// Kill ends the box: SIGKILL to its PID 1 ends the whole PID namespace.
func (b *Box) Kill() {
	if b.pid != 0 {
		_ = syscall.Kill(b.pid, syscall.SIGKILL)
		b.pid = 0
	}
	if b.cmd != nil && b.cmd.Process != nil && b.cmd.ProcessState == nil {
		_ = b.cmd.Process.Kill()
		_ = b.cmd.Wait()
	}
	b.removeCgroups()
}

// removeCgroups removes the box's cgroups from the host's hierarchies,
// deepest first, once their processes are gone (a few seconds at most
// after the box's end).
func (b *Box) removeCgroups() {
	if b.cgroup == "" {
		return
	}
	tops, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", b.cgroup))
	deadline := time.Now().Add(10 * time.Second)
	for _, top := range tops {
		for {
			var dirs []string
			_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			left := 0
			for i := len(dirs) - 1; i >= 0; i-- {
				if err := os.Remove(dirs[i]); err != nil && !os.IsNotExist(err) {
					left++
				}
			}
			if left == 0 || time.Now().After(deadline) {
				if left > 0 {
					b.t.Logf("could not remove %d cgroup(s) below %s", left, top)
				}
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// Poweroff shuts the box down as an operator would (systemctl poweroff:
// every unit stopped in order) and returns once its PID 1 is gone.
func (b *Box) Poweroff(t *testing.T, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if out, err := b.Exec("systemctl", "poweroff"); err != nil {
		t.Fatalf("systemctl poweroff: %v\n%s", err, out)
	}
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(timeout):
		out := b.log.String()
		t.Fatalf("the box did not power off within %s:\n%s", timeout, out[max(0, len(out)-3000):])
	}
	b.pid = 0
	took := time.Since(start)
	b.removeCgroups()
	return took
}

// Command returns a command that runs inside the box, in the checkout
// (BoxRepo).
func (b *Box) Command(env []string, name string, args ...string) *exec.Cmd {
	// cd inside the box: nsenter --wd would open the directory in the
	// host's mount namespace, leaving a cwd the box cannot name.
	full := append([]string{"-t", strconv.Itoa(b.pid), "-m", "-p", "-n", "--", "sh", "-c", `cd "$0" && exec "$@"`, b.Repo, "env"}, env...)
	full = append(full, name)
	cmd := exec.Command("nsenter", append(full, args...)...)
	cmd.Env = append(os.Environ(), "CI=true")
	return cmd
}

// Exec runs a command in the box and returns its combined output.
func (b *Box) Exec(name string, args ...string) (string, error) {
	out, err := b.Command(nil, name, args...).CombinedOutput()
	return string(out), err
}

// MustExec is Exec that fails t on error.
func (b *Box) MustExec(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := b.Exec(name, args...)
	if err != nil {
		t.Fatalf("in box: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}
