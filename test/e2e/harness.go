//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stack is a box with hotstack-os installed from this checkout.
type Stack struct {
	*Box
	MageBin string // the compiled mage binary, as the box sees it (below BoxRepo)
	EnvFile string // the .env used, inside the box
	images  []string
	tarball []byte
}

// mageBin is where the compiled magefile goes, relative to the checkout
// (ignored by git).
const mageBin = "test/e2e/.bin/mage"

// mageBinary compiles the magefile into the checkout (which the box sees
// at BoxRepo), once per test run.
var mageBinary = sync.OnceValue(func() error {
	repo, err := repoDir()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "run", "mage.go", "-f", "-compile", filepath.Join(repo, mageBin))
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
})

// compileMage returns the mage binary as the box sees it.
func compileMage(t *testing.T) string {
	t.Helper()
	if err := mageBinary(); err != nil {
		t.Fatalf("compile mage: %v", err)
	}
	return BoxRepo + "/" + mageBin
}

// baseEnv is the .env of the e2e stack: the defaults, with the userspace
// datapath (no openvswitch kernel module here) and unique secrets.
const baseEnv = `OVS_DATAPATH_TYPE=netdev
CHASSIS_HOSTNAME=e2e-box
`

// NewStack boots a box, imports stand-ins under the names the units use
// (with env baked in, e.g. STANDIN_READY_DELAY=2), and runs `mage install`
// with root /.
func NewStack(t *testing.T, env string, standinEnv ...string) *Stack {
	t.Helper()
	return NewStackOn(t, Boot(t), env, standinEnv...)
}

// NewStackOn is NewStack on a box already booted.
func NewStackOn(t *testing.T, b *Box, env string, standinEnv ...string) *Stack {
	t.Helper()
	s := &Stack{Box: b, MageBin: compileMage(t), EnvFile: "/etc/hotstack-os-e2e.env"}
	s.WriteFile(t, s.EnvFile, baseEnv+env, 0o600)
	// Stage once to read the image names and entrypoints from the units.
	b.MustExec(t, "mkdir", "-p", "/tmp/stage")
	s.MustMage(t, []string{"HOTSTACK_ROOT=/tmp/stage", "HOTSTACK_SKIP_IMAGE_CHECK=1"}, "install")
	images, entrypoints := b.unitImages(t, "/tmp/stage/etc/systemd/system")
	s.images = images
	s.tarball = standinTar(t, entrypoints)
	b.ImportStandins(t, s.tarball, images, standinEnv...)
	s.MustMage(t, nil, "install")
	return s
}

// WriteFile writes a file inside the box.
func (b *Box) WriteFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	cmd := b.Command(nil, "sh", "-c", `umask 077; mkdir -p "$(dirname "$1")" && cat > "$1" && chmod "$2" "$1"`, "sh", path, fmt.Sprintf("%o", mode.Perm()))
	cmd.Stdin = strings.NewReader(content)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("write %s in box: %v\n%s", path, err, out)
	}
}

// Mage runs a mage target (with arguments) in the box with the e2e .env.
func (s *Stack) Mage(env []string, target ...string) (string, time.Duration, error) {
	env = append([]string{"HOTSTACK_ENV=" + s.EnvFile}, env...)
	if s.tarball != nil {
		// Stand-in images: no OpenStack answers post-setup.
		env = append([]string{"HOTSTACK_POST_SETUP=0"}, env...)
	}
	start := time.Now()
	out, err := s.Command(env, s.MageBin, target...).CombinedOutput()
	return string(out), time.Since(start), err
}

// MustMage is Mage that fails the test on error.
func (s *Stack) MustMage(t *testing.T, env []string, target string) string {
	t.Helper()
	out, _, err := s.Mage(env, target)
	if err != nil {
		t.Fatalf("mage %s: %v\n%s", target, err, out)
	}
	return out
}
