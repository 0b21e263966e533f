package app

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/stack"
)

// testPackages are the Debian packages the full suite runs against.
func testPackages() []string {
	return []string{"podman", "busybox-static", "openvswitch-switch", "nfs-kernel-server", "iproute2", "systemd", "graphviz",
		// The real-cloud tier: the images, and the hypervisor on the host.
		"mmdebstrap", "libvirt-daemon-system", "qemu-system-x86",
		// UEFI guests (libvirt opens the host's OVMF), the guest boot
		// test's SSH client, and the masquerade of guests' traffic.
		"ovmf", "openssh-client", "nftables",
		// The firewall test's listeners and probes (nc).
		"netcat-openbsd",
		// The real-cloud tier's API check after a restart reads the
		// catalog with jq and calls each API with curl.
		"jq", "curl"}
}

// staticcheck is the linter `mage test` runs, fetched through the Go module
// proxy at this version on first use.
const staticcheck = "honnef.co/go/tools/cmd/staticcheck@v0.8.2"

// Test installs the suite's prerequisites when missing (root with apt
// only), fails on any hygiene finding (go mod tidy, gofmt, go vet,
// staticcheck), builds the images (kept when unchanged), then runs every
// test tier: unit and integration tests, the e2e suite on stand-ins with
// its secrets check from a copy of the tree under /var/tmp, and the real
// cloud (HOTSTACK_E2E=0 skips the e2e tiers, HOTSTACK_E2E_CLOUD=0 the real
// cloud).
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
		// Images also makes the host's cgroups usable by crun. Built
		// from their recipes only: a check for package updates would make
		// a run's images and its length depend on the day's archive.
		// Every release's OpenStack images: the configuration test
		// validates each release's files against its own packages. The
		// e2e tiers run the default release, so only its images are
		// built whole (the others' infrastructure and guest would only
		// cost CI minutes).
		for _, rel := range stack.Releases() {
			var only []string
			if rel.Name != stack.DefaultRelease {
				only = images.OpenStackImages(images.Recipes(a.o.Stack, rel))
			}
			if err := a.buildImages(ctx, rel, false, only); err != nil {
				return err
			}
		}
	} else {
		fmt.Fprintln(a.o.Stderr, "test: not root: images not built; the tests that need them skip")
	}
	// Tier 1 and 2: unit tests and integration tests against real OVS,
	// exportfs, podman and systemd-analyze (skipped where a tool is missing).
	if err := a.gotest(ctx, "", nil, "./..."); err != nil {
		return err
	}
	// Tier 3, on its own so no other test competes for the two cores: the
	// end-to-end suite on a real systemd, podman and Open vSwitch.
	if !a.o.E2E {
		fmt.Fprintln(a.o.Stderr, "test: HOTSTACK_E2E=0: end-to-end suite skipped")
		return nil
	}
	if err := a.gotest(ctx, "", nil, "-tags=e2e", "-timeout=35m", "-v", "-run", "^(TestOperatorJourney|TestReboot)$", "./test/e2e"); err != nil {
		return err
	}
	if err := a.secretsFromVarTmp(ctx); err != nil {
		return err
	}
	if !a.o.E2ECloud {
		fmt.Fprintln(a.o.Stderr, "test: HOTSTACK_E2E_CLOUD=0: real-cloud tier skipped")
		return nil
	}
	return a.gotest(ctx, "", nil, "-tags=e2e", "-timeout=45m", "-v", "-run", "TestRealCloud", "./test/e2e")
}

// secretsFromVarTmp runs the e2e secrets check again from a copy of the
// tree under /var/tmp, world-readable, in a directory whose name holds a
// space: a checkout there (or under /tmp, /var/lib, ...) lies inside the
// check's search for world-readable files, and must not be reported as a
// leak. About a minute: one box, install, start, the check.
func (a *App) secretsFromVarTmp(ctx context.Context) error {
	dir, err := os.MkdirTemp("/var/tmp", "hotstack-os copy ")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := copyTree(".", dir); err != nil {
		return fmt.Errorf("copy the tree to %s: %w", dir, err)
	}
	fmt.Fprintf(a.o.Stderr, "test: the e2e secrets check again, from a world-readable copy of the tree in %q\n", dir)
	return a.gotest(ctx, dir, []string{"HOTSTACK_E2E_FOCUS=secrets"}, "-tags=e2e", "-timeout=15m", "-v", "-run", "TestOperatorJourney", "./test/e2e")
}

// copyTree copies the source tree at src into dst (which exists), keeping
// modes, leaving out what git ignores: .git, the operator's .env (it holds
// real secrets), binaries.
func copyTree(src, dst string) error {
	skip := map[string]bool{".git": true, ".env": true, "hotstack-os": true, "test/e2e/.bin": true}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		if skip[filepath.ToSlash(rel)] || strings.HasSuffix(rel, ".test") || strings.HasSuffix(rel, ".out") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, 0o755)
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, fi.Mode().Perm())
		}
		return nil
	})
}

// gotest runs go test with args, in dir ("" for here), with env added.
func (a *App) gotest(ctx context.Context, dir string, env []string, args ...string) error {
	var pre []string
	if dir != "" {
		pre = []string{"-C", dir}
	}
	args = append(append(pre, "test", "-count=1"), args...)
	_, err := a.o.Runner.Run(ctx, execx.Command{Name: "go", Args: args, Env: env, Stdout: a.o.Stdout, Stderr: a.o.Stderr})
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
