// Package testrun is `mage test`: it installs the suite's prerequisites,
// fails on any hygiene finding, has the images built, then runs every test
// tier. It lives apart from internal/app so that the application holds no
// test runner; the app hands it only the builder of the images the tiers
// use (app.TestTarget), and it reads its own switches (Switches), which no
// production target needs. Every command goes through an execx.Runner, so
// the sequence runs against a fake in tests.
package testrun

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
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

// Suite is one run of the tests and what it depends on: Run fills it for
// a real run, tests with fakes.
type Suite struct {
	Switches Switches
	Runner   execx.Runner
	Stdout   io.Writer // the tests' output
	Stderr   io.Writer // the runner's own lines, and apt-get's
	// BuildImages builds the images the tiers use (internal/app's); it is
	// called as root only, since podman's system store needs root.
	BuildImages func(ctx context.Context) error
	// Geteuid and LookPath are os.Geteuid and exec.LookPath: whether the
	// packages can be installed and the images built.
	Geteuid  func() int
	LookPath func(file string) (string, error)
	// Tree is the source tree ("."), and Scratch the directory its
	// world-readable copy goes into (/var/tmp: see secretsFromCopy).
	Tree, Scratch string
}

// Run is `mage test` on this host, building the images with buildImages:
// the switches from the process environment, this host's commands, output
// on the terminal. Its signature is what app.TestTarget takes.
func Run(ctx context.Context, buildImages func(context.Context) error) error {
	s, err := production(os.Getenv, buildImages)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// production returns the suite of a real run, with the switches read
// through getenv: a wrong one is an error before anything runs.
func production(getenv func(string) string, buildImages func(context.Context) error) (*Suite, error) {
	sw, err := ParseSwitches(getenv)
	if err != nil {
		return nil, err
	}
	return &Suite{Switches: sw, Runner: execx.System{}, Stdout: os.Stdout, Stderr: os.Stderr, BuildImages: buildImages,
		Geteuid: os.Geteuid, LookPath: exec.LookPath, Tree: ".", Scratch: "/var/tmp"}, nil
}

// Run installs the suite's prerequisites when missing (root with apt
// only), fails on any hygiene finding (go mod tidy, gofmt, go vet,
// staticcheck), builds the images (kept when unchanged), then runs every
// test tier: unit and integration tests, the e2e suite on stand-ins with
// its secrets check from a copy of the tree under /var/tmp, and the real
// cloud (HOTSTACK_E2E=0 skips the e2e tiers, HOTSTACK_E2E_CLOUD=0 the real
// cloud).
func (s *Suite) Run(ctx context.Context) error {
	if err := s.ensurePackages(ctx); err != nil {
		return err
	}
	if err := s.hygiene(ctx); err != nil {
		return err
	}
	// The images first: the configuration test validates every OpenStack
	// file inside them, and the real-cloud tier runs them.
	if s.Geteuid() == 0 {
		if err := s.BuildImages(ctx); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(s.Stderr, "test: not root: images not built; the tests that need them skip")
	}
	// Tier 1 and 2: unit tests and integration tests against real OVS,
	// exportfs, podman and systemd-analyze (skipped where a tool is missing).
	if err := s.gotest(ctx, "", nil, "./..."); err != nil {
		return err
	}
	// Tier 3, on its own so no other test competes for the two cores: the
	// end-to-end suite on a real systemd, podman and Open vSwitch.
	if !s.Switches.E2E {
		fmt.Fprintln(s.Stderr, "test: HOTSTACK_E2E=0: end-to-end suite skipped")
		return nil
	}
	if err := s.gotest(ctx, "", nil, "-tags=e2e", "-timeout=35m", "-v", "-run", "^(TestOperatorJourney|TestReboot)$", "./test/e2e"); err != nil {
		return err
	}
	if err := s.secretsFromCopy(ctx); err != nil {
		return err
	}
	if !s.Switches.E2ECloud {
		fmt.Fprintln(s.Stderr, "test: HOTSTACK_E2E_CLOUD=0: real-cloud tier skipped")
		return nil
	}
	return s.gotest(ctx, "", nil, "-tags=e2e", "-timeout=45m", "-v", "-run", "TestRealCloud", "./test/e2e")
}

// secretsFromCopy runs the e2e secrets check again from a copy of the
// tree under /var/tmp (Scratch), world-readable, in a directory whose name
// holds a space: a checkout there (or under /tmp, /var/lib, ...) lies
// inside the check's search for world-readable files, and must not be
// reported as a leak. About a minute: one box, install, start, the check.
func (s *Suite) secretsFromCopy(ctx context.Context) error {
	dir, err := os.MkdirTemp(s.Scratch, "hotstack-os copy ")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if err := copyTree(s.Tree, dir); err != nil {
		return fmt.Errorf("copy the tree to %s: %w", dir, err)
	}
	fmt.Fprintf(s.Stderr, "test: the e2e secrets check again, from a world-readable copy of the tree in %q\n", dir)
	return s.gotest(ctx, dir, []string{"HOTSTACK_E2E_FOCUS=secrets"}, "-tags=e2e", "-timeout=15m", "-v", "-run", "TestOperatorJourney", "./test/e2e")
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
func (s *Suite) gotest(ctx context.Context, dir string, env []string, args ...string) error {
	var pre []string
	if dir != "" {
		pre = []string{"-C", dir}
	}
	args = append(append(pre, "test", "-count=1"), args...)
	_, err := s.Runner.Run(ctx, execx.Command{Name: "go", Args: args, Env: env, Stdout: s.Stdout, Stderr: s.Stderr})
	return err
}

// hygiene runs the checks CI holds the code to; any finding fails.
func (s *Suite) hygiene(ctx context.Context) error {
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
		_, err := s.Runner.Run(ctx, execx.Command{Name: c.cmd[0], Args: c.cmd[1:], Stdout: &out, Stderr: &out})
		if err == nil && strings.TrimSpace(out.String()) != "" && c.cmd[0] == "gofmt" {
			err = fmt.Errorf("unformatted files")
		}
		if err != nil {
			return fmt.Errorf("hygiene: %s: %w\n%s", c.what, err, out.String())
		}
		fmt.Fprintf(s.Stderr, "test: %s: ok\n", c.what)
	}
	return nil
}

// ensurePackages installs the test packages missing, as root with apt;
// elsewhere it names them, and the tests that need them skip.
func (s *Suite) ensurePackages(ctx context.Context) error {
	r := s.Runner
	var missing []string
	for _, p := range testPackages() {
		if _, err := r.Run(ctx, execx.Command{Name: "dpkg-query", Args: []string{"-W", "-f=${Status}", p}}); err != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := s.LookPath("apt-get"); err != nil || s.Geteuid() != 0 {
		fmt.Fprintf(s.Stderr, "test: missing packages %s; tests that need them will skip\n", strings.Join(missing, " "))
		return nil
	}
	fmt.Fprintf(s.Stderr, "test: installing %s\n", strings.Join(missing, " "))
	stream := func(args ...string) error {
		_, err := r.Run(ctx, execx.Command{Name: "apt-get", Args: args, Stdout: s.Stderr, Stderr: s.Stderr,
			Env: []string{"DEBIAN_FRONTEND=noninteractive"}})
		return err
	}
	if err := stream("update", "-qq"); err != nil {
		return err
	}
	return stream(append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)...)
}
