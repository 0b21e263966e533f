package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// TestPackages are the Debian packages the full suite runs against.
var TestPackages = []string{"podman", "busybox-static", "openvswitch-switch", "nfs-kernel-server", "iproute2", "systemd", "graphviz"}

// Test installs the suite's prerequisites when missing (root with apt only)
// and runs every test tier: unit and integration tests, then the e2e suite.
func Test() error {
	s := begin()
	defer s.stop()
	r := execx.System{}
	if err := ensurePackages(s.ctx, r); err != nil {
		return exit(err)
	}
	gotest := func(args ...string) error {
		_, err := r.Run(s.ctx, execx.Command{Name: "go", Args: append([]string{"test", "-count=1"}, args...), Stdout: os.Stdout, Stderr: os.Stderr})
		return err
	}
	// Tier 1 and 2: unit tests and integration tests against real OVS,
	// exportfs, podman and systemd-analyze (skipped where a tool is missing).
	if err := gotest("./..."); err != nil {
		return exit(err)
	}
	// Tier 3, on its own so no other test competes for the two cores: the
	// end-to-end suite on a real systemd, podman and Open vSwitch.
	if os.Getenv("HOTSTACK_E2E") == "0" {
		fmt.Fprintln(os.Stderr, "test: HOTSTACK_E2E=0: end-to-end suite skipped")
		return nil
	}
	return exit(gotest("-tags=e2e", "-timeout=25m", "-v", "-run", "TestOperatorJourney", "./test/e2e"))
}

func ensurePackages(ctx context.Context, r execx.Runner) error {
	var missing []string
	for _, p := range TestPackages {
		if _, err := r.Run(ctx, execx.Command{Name: "dpkg-query", Args: []string{"-W", "-f=${Status}", p}}); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		fmt.Fprintf(os.Stderr, "test: missing packages %s; tests that need them will skip\n", strings.Join(missing, " "))
		return nil
	}
	fmt.Fprintf(os.Stderr, "test: installing %s\n", strings.Join(missing, " "))
	stream := func(args ...string) error {
		_, err := r.Run(ctx, execx.Command{Name: "apt-get", Args: args, Stdout: os.Stderr, Stderr: os.Stderr,
			Env: []string{"DEBIAN_FRONTEND=noninteractive"}})
		return err
	}
	if err := stream("update", "-qq"); err != nil {
		return err
	}
	return stream(append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)...)
}
