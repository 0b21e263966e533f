package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// testPackages are the Debian packages the full suite runs against.
func testPackages() []string {
	return []string{"podman", "busybox-static", "openvswitch-switch", "nfs-kernel-server", "iproute2", "systemd", "graphviz",
		// The real-cloud tier: the images, and the hypervisor on the host.
		"mmdebstrap", "libvirt-daemon-system", "qemu-system-x86"}
}

// staticcheck is the linter `mage test` runs, fetched through the Go module
// proxy at this version on first use.
const staticcheck = "honnef.co/go/tools/cmd/staticcheck@v0.8.2"

// Test installs the suite's prerequisites when missing (root with apt
// only), fails on any hygiene finding (go mod tidy, gofmt, go vet,
// staticcheck), builds the images (kept when unchanged), then runs every
// test tier: unit and integration tests, the e2e suite on stand-ins, and
// the real cloud (HOTSTACK_E2E=0 skips both e2e tiers,
// HOTSTACK_E2E_CLOUD=0 the real cloud).
func (a *App) Test(ctx context.Context) error {
	if err := a.ensurePackages(ctx); err != nil {
		return err
	}
	if err := a.hygiene(ctx); err != nil {
		return err
	}
	// The images first: the configuration test validates every OpenStack
	// file inside them, and the real-cloud tier runs them.
	if os.Geteuid() == 0 {
		if err := a.Images(ctx); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.o.Stderr, "test: not root: images not built; the tests that need them skip")
	}
	// Tier 1 and 2: unit tests and integration tests against real OVS,
	// exportfs, podman and systemd-analyze (skipped where a tool is missing).
	if err := a.gotest(ctx, "./..."); err != nil {
		return err
	}
	// Tier 3, on its own so no other test competes for the two cores: the
	// end-to-end suite on a real systemd, podman and Open vSwitch.
	if !a.o.E2E {
		fmt.Fprintln(a.o.Stderr, "test: HOTSTACK_E2E=0: end-to-end suite skipped")
		return nil
	}
	if err := a.gotest(ctx, "-tags=e2e", "-timeout=25m", "-v", "-run", "TestOperatorJourney", "./test/e2e"); err != nil {
		return err
	}
	if !a.o.E2ECloud {
		fmt.Fprintln(a.o.Stderr, "test: HOTSTACK_E2E_CLOUD=0: real-cloud tier skipped")
		return nil
	}
	return a.gotest(ctx, "-tags=e2e", "-timeout=45m", "-v", "-run", "TestRealCloud", "./test/e2e")
}

func (a *App) gotest(ctx context.Context, args ...string) error {
	_, err := a.o.Runner.Run(ctx, execx.Command{Name: "go", Args: append([]string{"test", "-count=1"}, args...), Stdout: a.o.Stdout, Stderr: a.o.Stderr})
	return err
}

// hygiene runs the checks CI holds the code to; any finding fails.
func (a *App) hygiene(ctx context.Context) error {
	checks := []struct {
		what string
		cmd  []string
	}{
		{"go.mod and go.sum are tidy", []string{"go", "mod", "tidy", "-diff"}},
		{"gofmt finds nothing to format", []string{"gofmt", "-l", "."}},
		{"go vet", []string{"go", "vet", "./..."}},
		{"go vet (e2e)", []string{"go", "vet", "-tags", "e2e", "./..."}},
		{"staticcheck", []string{"go", "run", staticcheck, "-tags", "e2e", "./..."}},
	}
	for _, c := range checks {
		var out bytes.Buffer
		_, err := a.o.Runner.Run(ctx, execx.Command{Name: c.cmd[0], Args: c.cmd[1:], Stdout: &out, Stderr: &out})
		if err == nil && strings.TrimSpace(out.String()) != "" && c.cmd[0] == "gofmt" {
			err = fmt.Errorf("unformatted files")
		}
		if err != nil {
			return fmt.Errorf("hygiene: %s: %w\n%s", c.what, err, out.String())
		}
		fmt.Fprintf(a.o.Stderr, "test: %s: ok\n", c.what)
	}
	return nil
}

func (a *App) ensurePackages(ctx context.Context) error {
	r := a.o.Runner
	var missing []string
	for _, p := range testPackages() {
		if _, err := r.Run(ctx, execx.Command{Name: "dpkg-query", Args: []string{"-W", "-f=${Status}", p}}); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		fmt.Fprintf(a.o.Stderr, "test: missing packages %s; tests that need them will skip\n", strings.Join(missing, " "))
		return nil
	}
	fmt.Fprintf(a.o.Stderr, "test: installing %s\n", strings.Join(missing, " "))
	stream := func(args ...string) error {
		_, err := r.Run(ctx, execx.Command{Name: "apt-get", Args: args, Stdout: a.o.Stderr, Stderr: a.o.Stderr,
			Env: []string{"DEBIAN_FRONTEND=noninteractive"}})
		return err
	}
	if err := stream("update", "-qq"); err != nil {
		return err
	}
	return stream(append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)...)
}
