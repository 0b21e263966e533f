// Package testns runs a test inside fresh network and mount namespaces, and
// starts private Open vSwitch daemons there, so integration tests use the
// real tools without touching the host's links, mounts or OVS database.
package testns

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/retry"
)

const envMarker = "HOTSTACK_TESTNS"

// Enter re-runs the calling top-level test inside new network and mount
// namespaces (`unshare --net --mount`). In the parent it waits for the
// child, reports its result, and returns false; in the child it returns
// true and the test body runs there. It skips the test when this machine
// cannot create namespaces.
func Enter(t *testing.T) bool {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test against real tools; skipped with -short")
	}
	if os.Getenv(envMarker) == t.Name() {
		mustRun(t, "ip", "link", "set", "lo", "up")
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create namespaces")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed")
	}
	if err := exec.Command("unshare", "--net", "--mount", "true").Run(); err != nil {
		t.Skipf("cannot create namespaces here: %v", err)
	}
	args := []string{"--net", "--mount", "--propagation", "private", os.Args[0], "-test.run", "^" + t.Name() + "$", "-test.v", "-test.count=1"}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), envMarker+"="+t.Name())
	out, err := cmd.CombinedOutput()
	t.Logf("in namespaces:\n%s", out)
	if err != nil {
		t.Fatalf("%s failed inside its namespaces: %v", t.Name(), err)
	}
	if strings.Contains(string(out), "--- SKIP: "+t.Name()) {
		t.Skip("skipped inside namespaces (see log)")
	}
	return false
}

// BindFile mounts a scratch copy of content over target (inside the test's
// private mount namespace) and returns the scratch path.
func BindFile(t *testing.T, target string, content []byte) string {
	t.Helper()
	scratch := filepath.Join(t.TempDir(), filepath.Base(target))
	if err := os.WriteFile(scratch, content, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "mount", "--bind", scratch, target)
	return scratch
}

// Tmpfs mounts an empty tmpfs over dir, creating it if needed.
func Tmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "mount", "-t", "tmpfs", "tmpfs", dir)
}

// StartOVS starts ovsdb-server and ovs-vswitchd on a private run and
// database directory, points ovs-vsctl at them (OVS_RUNDIR), and stops them
// when the test ends.
func StartOVS(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install openvswitch-switch)", tool)
		}
	}
	dir := t.TempDir()
	for _, k := range []string{"OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR"} {
		t.Setenv(k, dir)
	}
	db := filepath.Join(dir, "conf.db")
	mustRun(t, "ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema")
	sock := "unix:" + filepath.Join(dir, "db.sock")
	mustRun(t, "ovsdb-server", db, "--remote=p"+sock, "--pidfile", "--detach", "--log-file="+filepath.Join(dir, "ovsdb-server.log"))
	t.Cleanup(func() { killPidfile(filepath.Join(dir, "ovsdb-server.pid")) })
	mustRun(t, "ovs-vsctl", "--no-wait", "init")
	mustRun(t, "ovs-vswitchd", sock, "--pidfile", "--detach", "--log-file="+filepath.Join(dir, "ovs-vswitchd.log"))
	t.Cleanup(func() { killPidfile(filepath.Join(dir, "ovs-vswitchd.pid")) })
}

// killPidfile ends the daemon whose pid path holds: SIGTERM, and SIGKILL
// if it is still there a second later.
func killPidfile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	exited := func(context.Context) error {
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		return errors.New("still running")
	}
	if retry.Do(context.Background(), retry.Every(20*time.Millisecond, time.Second), exited) != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Run runs a command and returns its trimmed output, failing the test on
// error.
func Run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(mustRun(t, name, args...))
}
