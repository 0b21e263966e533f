package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/units"
)

func TestFileChanges(t *testing.T) {
	root := t.TempDir()
	p := &Plan{}
	f := units.File{Path: "/etc/x.conf", Data: []byte("a=1\nb=2\n"), Mode: 0o644}
	if err := p.File(root, f, nil); err != nil || len(p.Changes) != 1 || p.Changes[0].Action != "create" {
		t.Fatalf("missing file: %+v %v", p.Changes, err)
	}
	_ = os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	_ = os.WriteFile(filepath.Join(root, "etc/x.conf"), []byte("a=1\nb=2\n"), 0o644)
	p = &Plan{}
	if _ = p.File(root, f, nil); !p.Empty() {
		t.Fatalf("identical file planned: %+v", p.Changes)
	}
	f.Data = []byte("a=1\nb=3\n")
	_ = p.File(root, f, nil)
	if len(p.Changes) != 1 || !strings.Contains(p.Changes[0].Detail, "-b=2") || !strings.Contains(p.Changes[0].Detail, "+b=3") {
		t.Fatalf("diff: %+v", p.Changes)
	}
}

func TestSecretsMasked(t *testing.T) {
	root := t.TempDir()
	_ = os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	_ = os.WriteFile(filepath.Join(root, "etc/secrets.env"), []byte("DB=\"oldS3cret\"\nSVC=\"same\"\n"), 0o600)
	_ = os.WriteFile(filepath.Join(root, "etc/app.conf"), []byte("x=1\n"), 0o644)
	p := &Plan{}
	_ = p.File(root, units.File{Path: "/etc/secrets.env", Data: []byte("DB=\"newS3cret\"\nSVC=\"same\"\n"), Mode: 0o600, Secret: true}, []string{"newS3cret"})
	_ = p.File(root, units.File{Path: "/etc/app.conf", Data: []byte("x=1\npw=newS3cret\n"), Mode: 0o644}, []string{"newS3cret"})
	var out strings.Builder
	p.Print(&out)
	text := out.String()
	for _, leak := range []string{"oldS3cret", "newS3cret", "same"} {
		if strings.Contains(text, leak) {
			t.Errorf("plan shows %q:\n%s", leak, text)
		}
	}
	if !strings.Contains(text, "DB=******** (value changed)") || !strings.Contains(text, "+pw=********") {
		t.Errorf("changes not visible:\n%s", text)
	}
}
