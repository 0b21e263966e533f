package testrun

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// fixture is a Suite on a fake runner: the commands it runs are recorded,
// the images builder is recorded among them as "build-images", and the
// tree to copy is a small one of the test's.
type fixture struct {
	t      *testing.T
	suite  *Suite
	fake   *execx.Fake
	stderr *bytes.Buffer
	// fail makes the command whose line starts with it fail; missing are
	// the packages dpkg-query does not find.
	fail    map[string]error
	missing []string
	// copied is what the secrets check's copy of the tree held, and env
	// the environment it ran with.
	copied []string
	env    []string
	// cmds are the commands run, by command line.
	cmds map[string]execx.Command
}

func newFixture(t *testing.T, root bool, sw Switches) *fixture {
	f := &fixture{t: t, stderr: &bytes.Buffer{}, fail: map[string]error{}, cmds: map[string]execx.Command{}}
	f.fake = &execx.Fake{Handler: f.handle}
	euid := 1000
	if root {
		euid = 0
	}
	f.suite = &Suite{Switches: sw, Runner: f.fake, Stdout: &bytes.Buffer{}, Stderr: f.stderr,
		BuildImages: func(ctx context.Context) error {
			_, err := f.fake.Run(ctx, execx.Command{Name: "build-images"})
			return err
		},
		Geteuid:  func() int { return euid },
		LookPath: func(file string) (string, error) { return "/usr/bin/" + file, nil },
		Tree:     tree(t), Scratch: t.TempDir()}
	return f
}

// tree writes a source tree holding what the copy keeps and what it
// leaves out.
func tree(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]os.FileMode{"go.mod": 0o644, "stack/stack.go": 0o644, "templates/run.sh": 0o755,
		// Left out: what git ignores.
		".env": 0o600, ".git/config": 0o644, "hotstack-os": 0o755, "app.test": 0o755, "cover.out": 0o644, "test/e2e/.bin/mage": 0o755}
	for name, mode := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("stack/stack.go", filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (f *fixture) handle(_ context.Context, c execx.Command) (execx.Result, error) {
	line := strings.Join(append([]string{c.Name}, c.Args...), " ")
	f.cmds[line] = c
	if c.Name == "dpkg-query" && slices.Contains(f.missing, c.Args[len(c.Args)-1]) {
		return execx.Result{}, errors.New("exit status 1")
	}
	if c.Name == "go" && len(c.Args) > 1 && c.Args[0] == "-C" {
		f.env = c.Env
		f.copied = f.listCopy(c.Args[1])
	}
	for prefix, err := range f.fail {
		if strings.HasPrefix(line, prefix) {
			if c.Stdout != nil {
				_, _ = c.Stdout.Write([]byte("finding\n"))
			}
			return execx.Result{}, err
		}
	}
	return execx.Result{}, nil
}

// listCopy lists the copy of the tree at dir, as the secrets check sees
// it: the directory itself as "/ MODE", then its paths.
func (f *fixture) listCopy(dir string) []string {
	fi, err := os.Stat(dir)
	if err != nil {
		f.t.Errorf("the copy of the tree: %v", err)
		return nil
	}
	if filepath.Dir(dir) != f.suite.Scratch || !strings.HasPrefix(filepath.Base(dir), "hotstack-os copy ") {
		f.t.Errorf("the copy is %s, not in %s under a name with a space", dir, f.suite.Scratch)
	}
	out := []string{"/ " + fi.Mode().Perm().String()}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, rel+" "+info.Mode().String())
		return nil
	})
	if err != nil {
		f.t.Error(err)
	}
	return out
}

// calls are the commands run, with each dpkg-query's package only.
func (f *fixture) calls() []string {
	var out []string
	for _, c := range f.fake.Calls() {
		if strings.HasPrefix(c, "dpkg-query -W -f=${Status} ") {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (f *fixture) wantCalls(want ...string) {
	f.t.Helper()
	if got := f.calls(); !slices.Equal(got, want) {
		f.t.Errorf("commands:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func (f *fixture) wantStderr(want ...string) {
	f.t.Helper()
	if got := f.stderr.String(); got != strings.Join(want, "\n")+"\n" {
		f.t.Errorf("stderr:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

var hygiene = []string{
	"go mod tidy -diff",
	"gofmt -l .",
	"go vet ./...",
	"go vet -tags e2e ./...",
	"go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -tags e2e ./...",
}

var hygieneOK = []string{
	"test: go.mod and go.sum are tidy: ok",
	"test: gofmt finds nothing to format: ok",
	"test: go vet: ok",
	"test: go vet (e2e): ok",
	"test: staticcheck: ok",
}

const (
	tiers12  = "go test -count=1 ./..."
	journey  = "go test -count=1 -tags=e2e -timeout=35m -v -run ^(TestOperatorJourney|TestReboot)$ ./test/e2e"
	secrets  = "-tags=e2e -timeout=15m -v -run TestOperatorJourney ./test/e2e"
	cloud    = "go test -count=1 -tags=e2e -timeout=45m -v -run TestRealCloud ./test/e2e"
	notBuilt = "test: not root: images not built; the tests that need them skip"
)

// secretsCall is the secrets check's command line, in the copy the run
// made (and has removed since).
func (f *fixture) secretsCall() string {
	for _, c := range f.calls() {
		if strings.HasPrefix(c, "go -C ") && strings.HasSuffix(c, " test -count=1 "+secrets) {
			return c
		}
	}
	return "go -C ? test -count=1 " + secrets
}

// TestEveryTierAsRoot: as root, the missing packages are installed, the
// hygiene checks pass, the images are built, then the tiers run in order,
// the secrets check from a world-readable copy of the tree (without what
// git ignores) that is removed afterwards.
func TestEveryTierAsRoot(t *testing.T) {
	f := newFixture(t, true, Switches{E2E: true, E2ECloud: true})
	f.missing = []string{"mmdebstrap", "jq"}
	if err := f.suite.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(slices.Concat(
		[]string{"apt-get update -qq", "apt-get install -y -qq --no-install-recommends mmdebstrap jq"},
		hygiene,
		[]string{"build-images", tiers12, journey, f.secretsCall(), cloud})...)
	if n := len(f.fake.Calls()) - len(f.calls()); n != len(testPackages()) {
		t.Errorf("%d packages asked of dpkg-query, want %d", n, len(testPackages()))
	}
	wantCopy := []string{"/ -rwxr-xr-x", "go.mod -rw-r--r--", "link.go Lrwxrwxrwx", "stack drwxr-xr-x", "stack/stack.go -rw-r--r--",
		"templates drwxr-xr-x", "templates/run.sh -rwxr-xr-x", "test drwxr-xr-x", "test/e2e drwxr-xr-x"}
	if !slices.Equal(f.copied, wantCopy) {
		t.Errorf("the copy of the tree:\n  %s\nwant:\n  %s", strings.Join(f.copied, "\n  "), strings.Join(wantCopy, "\n  "))
	}
	if !slices.Equal(f.env, []string{"HOTSTACK_E2E_FOCUS=secrets"}) {
		t.Errorf("the secrets check's environment: %v", f.env)
	}
	if left, _ := os.ReadDir(f.suite.Scratch); len(left) != 0 {
		t.Errorf("the copy is left in %s: %v", f.suite.Scratch, left)
	}
	dir := strings.TrimSuffix(strings.TrimPrefix(f.secretsCall(), "go -C "), " test -count=1 "+secrets)
	f.wantStderr(slices.Concat(
		[]string{"test: installing mmdebstrap jq"},
		hygieneOK,
		[]string{`test: the e2e secrets check again, from a world-readable copy of the tree in "` + dir + `"`})...)
	// apt-get asks nothing and streams to stderr; the tests' output goes
	// to stdout.
	for line, c := range f.cmds {
		switch {
		case c.Name == "apt-get" && (!slices.Equal(c.Env, []string{"DEBIAN_FRONTEND=noninteractive"}) || c.Stdout != f.stderr || c.Stderr != f.stderr):
			t.Errorf("%s: env %v, output not on stderr", line, c.Env)
		case c.Name == "go" && slices.Contains(c.Args, "test") && (c.Stdout != f.suite.Stdout || c.Stderr != f.stderr):
			t.Errorf("%s: output not on stdout and stderr", line)
		}
	}
}

// TestNotRoot: without root nothing is installed nor built, each said;
// HOTSTACK_E2E=0 stops after the unit and integration tests.
func TestNotRoot(t *testing.T) {
	f := newFixture(t, false, Switches{E2E: false, E2ECloud: true})
	f.missing = []string{"podman"}
	if err := f.suite.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(append(slices.Clone(hygiene), tiers12)...)
	f.wantStderr(slices.Concat(
		[]string{"test: missing packages podman; tests that need them will skip"},
		hygieneOK,
		[]string{notBuilt, "test: HOTSTACK_E2E=0: end-to-end suite skipped"})...)
}

// TestRootWithoutApt: root without apt-get only names the packages.
func TestRootWithoutApt(t *testing.T) {
	f := newFixture(t, true, Switches{E2E: false})
	f.missing = []string{"jq", "curl"}
	f.suite.LookPath = func(file string) (string, error) { return "", exec.ErrNotFound }
	if err := f.suite.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(slices.Concat(hygiene, []string{"build-images", tiers12})...)
	if got := f.stderr.String(); !strings.HasPrefix(got, "test: missing packages jq curl; tests that need them will skip\n") {
		t.Errorf("stderr:\n%s", got)
	}
}

// TestNoRealCloud: HOTSTACK_E2E_CLOUD=0 runs the e2e suite and its
// secrets check, not the real cloud.
func TestNoRealCloud(t *testing.T) {
	f := newFixture(t, false, Switches{E2E: true, E2ECloud: false})
	if err := f.suite.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(slices.Concat(hygiene, []string{tiers12, journey, f.secretsCall()})...)
	if got := f.stderr.String(); !strings.HasSuffix(got, "test: HOTSTACK_E2E_CLOUD=0: real-cloud tier skipped\n") || !strings.Contains(got, notBuilt) {
		t.Errorf("stderr:\n%s", got)
	}
}

// TestAFailureStopsTheRun: a hygiene finding (gofmt's output is one,
// though gofmt succeeds), a failed build or a failed tier ends the run
// with its error, and nothing after it runs.
func TestAFailureStopsTheRun(t *testing.T) {
	boom := errors.New("exit status 1")
	cases := []struct {
		fail    string
		err     error
		wantErr string
		last    string
	}{
		{"gofmt", nil, "hygiene: gofmt finds nothing to format: unformatted files\nfinding\n", "gofmt -l ."},
		{"go vet -tags", boom, "hygiene: go vet (e2e): exit status 1\nfinding\n", "go vet -tags e2e ./..."},
		{"build-images", boom, "exit status 1", "build-images"},
		{tiers12, boom, "exit status 1", tiers12},
		{journey, boom, "exit status 1", journey},
		{"go -C", boom, "exit status 1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.fail, func(t *testing.T) {
			f := newFixture(t, true, Switches{E2E: true, E2ECloud: true})
			f.fail[tc.fail] = tc.err
			err := f.suite.Run(context.Background())
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("got %q, want %q", err, tc.wantErr)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap the command's error", err)
			}
			calls := f.calls()
			last := tc.last
			if last == "" {
				last = f.secretsCall()
			}
			if calls[len(calls)-1] != last {
				t.Errorf("the run went on after %s: %v", last, calls)
			}
			if left, _ := os.ReadDir(f.suite.Scratch); len(left) != 0 {
				t.Errorf("the copy is left in %s: %v", f.suite.Scratch, left)
			}
		})
	}
}
