package install

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/stack"
)

func defaults(t *testing.T) *config.Config {
	t.Helper()
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(config.DefaultsName, config.Example(st.Schema()), st.Schema(),
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
	write(t, filepath.Join(src, "secret.conf"), "pw=__DB_PASSWORD__\n", 0o644)
	write(t, filepath.Join(src, "run.sh"), "#!/bin/sh\necho __DB_PASSWORD__\n", 0o755)
	files, err := RenderTemplates(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]fs.FileMode{"good.conf": 0o644, "secret.conf": 0o600, "run.sh": 0o700}
	for _, f := range files {
		if f.Mode != modes[f.Rel] {
			t.Errorf("%s mode %v, want %v", f.Rel, f.Mode, modes[f.Rel])
		}
	}
}

// TestRepositoryTemplatesRender renders the checked-in templates, where
// `mage config` finds them by default.
func TestRepositoryTemplatesRender(t *testing.T) {
	cfg := defaults(t)
	files, missing, err := ConfigFiles(cfg, Templates{ConfigsDir: "../../templates/configs", ScriptsDir: "../../templates/scripts"})
	if err != nil || len(missing) != 0 {
		t.Fatalf("missing %v, err %v", missing, err)
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
