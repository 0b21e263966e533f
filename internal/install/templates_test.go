package install

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
)

func defaults(t *testing.T) *config.Config { t.Helper(); return defaultsFor(t, stack.DefaultRelease) }

// defaultsFor is the built-in defaults with release chosen.
func defaultsFor(t *testing.T, release string) *config.Config {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	example := strings.Replace(string(config.Example(st.Schema())), stack.ReleaseKey+"="+stack.DefaultRelease+"\n", stack.ReleaseKey+"="+release+"\n", 1)
	cfg, err := config.Parse(config.DefaultsName, []byte(example), st.Schema(),
		config.Options{Hostname: func() (string, error) { return "test", nil }, Environ: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestTemplatesRejectUnknownPlaceholder(t *testing.T) {
	cfg := defaults(t)
	src := t.TempDir()
	write(t, filepath.Join(src, "good.conf"), "ip=__KEYSTONE_IP__\n", 0o644)
	write(t, filepath.Join(src, "bad.conf"), "ok\nip=__KEYSTONE_IPP__\n", 0o644)
	_, err := RenderTemplates(cfg, src)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(src, "bad.conf")+":2: unknown placeholder __KEYSTONE_IPP__ (did you mean __KEYSTONE_IP__?)") {
		t.Fatalf("got %v", err)
	}
	if err := os.Remove(filepath.Join(src, "bad.conf")); err != nil {
		t.Fatal(err)
	}
	files, err := RenderTemplates(cfg, src)
	if err != nil || len(files) != 1 || files[0].Mode != 0o644 {
		t.Fatalf("%+v %v", files, err)
	}
}

// TestTemplatesMayNotHoldSecrets: secrets reach the services through the
// container environment only; a template naming one is refused with its
// file and line, and nothing is rendered.
func TestTemplatesMayNotHoldSecrets(t *testing.T) {
	cfg := defaults(t)
	src := t.TempDir()
	write(t, filepath.Join(src, "a.conf"), "ip=__KEYSTONE_IP__\n", 0o644)
	write(t, filepath.Join(src, "run.sh"), "#!/bin/sh\n\necho __DB_PASSWORD__\n", 0o755)
	_, err := RenderTemplates(cfg, src)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(src, "run.sh")+":3: __DB_PASSWORD__ is a secret") {
		t.Fatalf("got %v", err)
	}
}

// TestRepositoryTemplatesRender renders the checked-in templates, where
// `mage config` finds them by default.
func TestRepositoryTemplatesRender(t *testing.T) {
	cfg := defaults(t)
	files, err := ConfigFiles(cfg, Templates{ConfigsDir: "../../templates/configs", ScriptsDir: "../../templates/scripts"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"/var/lib/hotstack-os/runtime/config/keystone/keystone.conf": false, "/var/lib/hotstack-os/runtime/scripts/init-db.sh": false}
	for _, f := range files {
		if _, ok := want[f.Path]; ok {
			want[f.Path] = true
		}
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("%s not rendered", p)
		}
	}
}

func TestForReleaseKeepsTheReleasesLines(t *testing.T) {
	text := "[DEFAULT]\na = 1\n#@release zed\nold = 2\n#@end\n#@release 2025.1\nnew = 2\n#@end\nb = 3\n"
	for release, want := range map[string]string{
		"zed":    "[DEFAULT]\na = 1\nold = 2\nb = 3\n",
		"2025.1": "[DEFAULT]\na = 1\nnew = 2\nb = 3\n",
	} {
		got, problems := ForRelease("x.conf", text, release)
		if got != want || len(problems) > 0 {
			t.Errorf("%s: got %q %v, want %q", release, got, problems, want)
		}
	}
	for text, want := range map[string]string{
		"#@release zed\na\n":                       "x.conf:1: #@release is never closed by #@end",
		"a\n#@end\n":                               "x.conf:2: #@end without a #@release before it",
		"#@release epoxy\na\n#@end\n":              "x.conf:1: #@release epoxy: no such release",
		"#@release\na\n#@end\n":                    "x.conf:1: #@release names no release",
		"#@release zed\n#@release 2025.1\n#@end\n": "x.conf:2: #@release inside the block that starts on line 1",
	} {
		_, problems := ForRelease("x.conf", text, "zed")
		if len(problems) == 0 || !strings.Contains(problems[0], want) {
			t.Errorf("%q: problems %v, want %q", text, problems, want)
		}
	}
}
