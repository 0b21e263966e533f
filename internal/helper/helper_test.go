package helper

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/entrypoint"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/units"
)

// run runs the helper's command line as the binary would, with the
// switches of a plain run.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, k := range []string{"HOTSTACK_ENV", "HOTSTACK_ROOT", "HOTSTACK_LOG_FORMAT", "HOTSTACK_OUTPUT"} {
		t.Setenv(k, "")
	}
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestWrongCommandLinesAreUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"no-such-command"},
		{"health-gate"},
		{"health-gate", "keystone", "172.31.0.11:5000", "extra"},
		{"infra"},
		{"infra", "setup", "extra"},
		{"infra", "restart"},
		{"entrypoint"},
		{"mount-nfs", "host:/srv"},
	} {
		code, _, stderr := run(t, args...)
		if code != exitcode.Usage || !strings.Contains(stderr, "usage: hotstack-os") {
			t.Errorf("%q: status %d, stderr %q; want %d and the usage", args, code, stderr, exitcode.Usage)
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	code, stdout, _ := run(t, "--help")
	if code != exitcode.OK {
		t.Fatalf("--help: status %d", code)
	}
	for _, c := range commands {
		if !strings.Contains(stdout, "\n  "+c.name+" "+c.synopsis+"\n") {
			t.Errorf("the usage lacks %s:\n%s", c.name, stdout)
		}
	}
}

// Every helper command line the installed units run (the golden units),
// and every one the images run (each service's entrypoint, mount.nfs), is
// one the command table accepts.
func TestTheUnitsAndImagesCommandLinesAreAccepted(t *testing.T) {
	goldens, err := filepath.Glob("../../units/testdata/*.service.golden")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden units: %v", err)
	}
	var lines [][]string
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			_, cmd, ok := strings.Cut(line, "="+units.DefaultPaths().Helper+" ")
			if ok {
				lines = append(lines, strings.Fields(cmd))
			}
		}
	}
	if len(lines) < 20 {
		t.Fatalf("found only %d helper command lines in the golden units", len(lines))
	}
	for _, name := range entrypoint.Names() {
		lines = append(lines, []string{"entrypoint", name})
	}
	lines = append(lines, []string{"mount-nfs", "172.31.0.1:/var/lib/hotstack-os/cinder", "/var/lib/cinder/mnt/abc", "-o", "vers=4"})
	for _, args := range lines {
		if _, err := lookup(args); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
}

func TestHealthGateRefusesAnUnknownService(t *testing.T) {
	code, _, stderr := run(t, "health-gate", "no-such-service")
	if code != exitcode.Failure || !strings.Contains(stderr, `hotstack-os: unknown container service "no-such-service"`) {
		t.Errorf("status %d, stderr %q", code, stderr)
	}
}

// mount.nfs's callers (mount, os-brick) expect mount(8)'s statuses.
func TestMountNFSFailsAsMountDoes(t *testing.T) {
	code, _, stderr := run(t, "mount-nfs", "no-colon", t.TempDir())
	if code != mountFailure || !strings.Contains(stderr, "is not HOST:/PATH") {
		t.Errorf("status %d, stderr %q", code, stderr)
	}
}
