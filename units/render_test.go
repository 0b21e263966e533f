package units

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// testEnv sets every secret to a distinct value and pins the host name, so
// rendering is the same on every machine.
const testEnv = `KEYSTONE_ADMIN_PASSWORD=adminSecret1
MYSQL_ROOT_PASSWORD=rootSecret2
DB_PASSWORD=dbSecret3
SERVICE_PASSWORD=svcSecret4
RABBITMQ_DEFAULT_PASS=rabbitSecret5
METADATA_SECRET=metaSecret6
MEMCACHE_SECRET_KEY=cacheSecret7
CHASSIS_HOSTNAME=golden-host
`

func loadTest(t *testing.T, env string) (*config.Config, *stack.Stack) {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(".env", []byte(env), st.Schema(), config.Options{Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, st
}

// testKey is the fingerprint key of the golden files: fixed, so they are
// stable; a real install generates its own.
func testKey() []byte { return bytes.Repeat([]byte{0x5a}, KeySize) }

// testInputs are fixed rendering inputs: the test key, and a stand-in
// content for every rendered file a container mounts.
func testInputs(t *testing.T, cfg *config.Config, st *stack.Stack) Inputs {
	t.Helper()
	in := Inputs{Key: testKey()}
	seen := map[string]bool{}
	for _, svc := range st.Containers() {
		paths, err := mountedConfigs(cfg, svc)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if !seen[p] {
				seen[p] = true
				in.Configs = append(in.Configs, File{Path: p, Data: []byte("rendered " + p + "\n"), Mode: 0o644})
			}
		}
	}
	return in
}

// render renders with the test inputs.
func render(t *testing.T, cfg *config.Config, st *stack.Stack, p Paths) []File {
	t.Helper()
	r, err := Render(cfg, st, p, testInputs(t, cfg, st))
	if err != nil {
		t.Fatal(err)
	}
	return r.Files
}

func TestGoldenUnits(t *testing.T) {
	cfg, st := loadTest(t, testEnv)
	files := render(t, cfg, st, DefaultPaths())
	if len(files) != 23+1+3 {
		t.Fatalf("%d files, want 23 units + target + 2 config files + key", len(files))
	}
	for _, f := range files {
		golden := filepath.Join("testdata", filepath.Base(f.Path)+".golden")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./units -update to create it)", err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from %s (run go test ./units -update after checking the change):\n%s", f.Path, golden, f.Data)
		}
	}
}

func TestSecretsOnlyInSecretsFile(t *testing.T) {
	cfg, st := loadTest(t, testEnv)
	files := render(t, cfg, st, DefaultPaths())
	secrets := []string{"adminSecret1", "rootSecret2", "dbSecret3", "svcSecret4", "rabbitSecret5"}
	for _, f := range files {
		for _, s := range secrets {
			has := strings.Contains(string(f.Data), s)
			if f.Path == DefaultPaths().SecretsFile() {
				if !has {
					t.Errorf("secrets.env lacks %s", s)
				}
				if f.Mode != 0o600 {
					t.Errorf("secrets.env mode %v", f.Mode)
				}
			} else if has {
				t.Errorf("%s contains secret %s", f.Path, s)
			}
		}
		if f.Path == DefaultPaths().KeyFile() && (f.Mode != 0o600 || !f.Secret) {
			t.Errorf("the key file is mode %v, secret %v; want 0600, secret", f.Mode, f.Secret)
		}
		if f.Path != DefaultPaths().KeyFile() && bytes.Contains(f.Data, []byte(hex.EncodeToString(testKey()))) {
			t.Errorf("%s contains the fingerprint key", f.Path)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	cfg, st := loadTest(t, testEnv)
	a := render(t, cfg, st, DefaultPaths())
	b := render(t, cfg, st, DefaultPaths())
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Fatalf("%s renders differently twice", a[i].Path)
		}
	}
}

func TestExecWord(t *testing.T) {
	cases := map[string]string{
		"plain":               "plain",
		"a b":                 `"a b"`,
		"100%":                "100%%",
		"$HOME":               "$$HOME",
		`p@ss w%rd$HOME"'\;#`: `"p@ss w%%rd$$HOME\"'\\;#"`,
		"":                    `""`,
		";":                   `";"`,
	}
	for in, want := range cases {
		if got := execWord(in); got != want {
			t.Errorf("execWord(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestSystemdAnalyzeVerify runs the real systemd-analyze over the rendered
// units. The helper and podman paths point at stand-in executables so that
// "not executable" noise cannot hide a real problem: any output about our
// units fails the test.
func TestSystemdAnalyzeVerify(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze not installed")
	}
	cfg, st := loadTest(t, testEnv)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	unitDir := filepath.Join(dir, "units")
	for _, d := range []string{bin, unitDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := Paths{UnitDir: unitDir, ConfigDir: filepath.Join(dir, "etc"), Helper: filepath.Join(bin, "hotstack-os"), Podman: filepath.Join(bin, "podman")}
	for _, exe := range []string{p.Helper, p.Podman} {
		if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := render(t, cfg, st, p)
	var names []string
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.Path, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f.Path, unitDir) {
			names = append(names, f.Path)
		}
	}
	if problems, err := analyzeVerify(unitDir, names); len(problems) > 0 || err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(problems, "\n"))
	}
	t.Logf("verified %d units", len(names))

	// The check must be able to fail: a unit with a typo is reported.
	broken := filepath.Join(unitDir, "hotstack-os-keystone.service")
	data, err := os.ReadFile(broken)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, bytes.Replace(data, []byte("TimeoutStopSec"), []byte("TimeoutStopSecs"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits non-zero on the broken unit; the check is that it names it.
	if problems, _ := analyzeVerify(unitDir, names); len(problems) == 0 {
		t.Fatal("systemd-analyze verify did not notice an unknown key")
	}
}

// analyzeVerify returns the lines systemd-analyze verify prints about our
// units.
func analyzeVerify(unitDir string, names []string) ([]string, error) {
	cmd := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, names...)...)
	// Our directory first, so units find each other by name.
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH="+unitDir+":")
	out, err := cmd.CombinedOutput()
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "hotstack-os") {
			problems = append(problems, line)
		}
	}
	return problems, err
}

// TestMACFor: every fixed address gets its own fixed, locally
// administered MAC, so a restarted container keeps the MAC its clients
// have cached.
func TestMACFor(t *testing.T) {
	if got := MACFor("172.31.0.3"); got != "02:48:ac:1f:00:03" {
		t.Errorf("MACFor(172.31.0.3) = %q", got)
	}
	if MACFor("172.31.0.3") == MACFor("172.31.0.4") || MACFor("not an address") != "" || MACFor("fd00::1") != "" {
		t.Error("MACFor does not tell addresses apart, or accepts what is not IPv4")
	}
}

// TestLeastPrivilege: only the services that need the host's devices or
// kernel (the datapath, network namespaces, guests, volume mounts) run
// privileged; every other container drops the capabilities no service
// uses and may not gain privileges through a setuid program.
func TestLeastPrivilege(t *testing.T) {
	cfg, st := loadTest(t, testEnv)
	var privileged []string
	for _, f := range render(t, cfg, st, DefaultPaths()) {
		text := string(f.Data)
		if !strings.Contains(text, "podman run") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f.Path), "hotstack-os-"), ".service")
		switch {
		case strings.Contains(text, " --privileged "):
			privileged = append(privileged, name)
		case !strings.Contains(text, " --cap-drop "+strings.Join(DroppedCapabilities(), ",")+" ") ||
			!strings.Contains(text, " --security-opt no-new-privileges "):
			t.Errorf("%s: unprivileged but keeps every capability or may gain privileges", name)
		}
	}
	want := []string{"cinder-volume", "neutron-metadata", "nova-compute", "ovn-controller"}
	if !slices.Equal(privileged, want) {
		t.Errorf("privileged: %v, want %v", privileged, want)
	}
}
