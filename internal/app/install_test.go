package app

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/step"
)

// installSum runs install and returns what it wrote.
func (h *harness) installSum(ctx context.Context) (step.Summary, error) {
	r, err := h.app.checked(ctx)
	if err != nil {
		return step.Summary{}, err
	}
	return h.app.install(ctx, r)
}

func TestInstallIsIdempotentAndUninstallRemovesAll(t *testing.T) {
	h := newHarness(t, secretEnv)
	ctx := context.Background()
	sum, err := h.installSum(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := listFiles(t, h.o.Root)
	unitFiles := 0
	for p := range files {
		if strings.HasSuffix(p, ".service") || strings.HasSuffix(p, ".target") {
			unitFiles++
		}
	}
	if unitFiles != 24 || len(sum.Changed) != 60 {
		t.Fatalf("%d unit files, %d written; want 24 and 60 (units, config, secrets, generated secrets, key, helper, manifest, record, 29 rendered templates)", unitFiles, len(sum.Changed))
	}
	if !strings.Contains(h.logs.String(), "check: "+h.o.EnvFile+" is valid") || !strings.Contains(h.logs.String(), "install: 60 written, 0 unchanged") {
		t.Fatalf("logs:\n%s", h.logs.String())
	}

	// Second run: nothing written, no mtime moved.
	old := time.Unix(1_500_000_000, 0)
	for p := range files {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	h.logs.Reset()
	h.rebuild()
	sum, err = h.installSum(ctx)
	if err != nil || len(sum.Changed) != 0 {
		t.Fatalf("second install changed %v (err %v)", sum.Changed, err)
	}
	if !strings.Contains(h.logs.String(), "install: unchanged (60 files already up to date)") {
		t.Fatalf("second install did not say unchanged: %s", h.logs.String())
	}
	for p, fi := range listFiles(t, h.o.Root) {
		if !fi.ModTime().Equal(old) {
			t.Errorf("%s mtime changed", p)
		}
	}

	// Secrets appear only in secrets.env, which is 0600.
	for p, fi := range listFiles(t, h.o.Root) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"Adm1n-unique", "R00t-unique", "Db-unique", "Svc-unique", "Rabbit-unique"} {
			if bytes.Contains(data, []byte(secret)) && !strings.HasSuffix(p, "/secrets.env") {
				t.Errorf("%s holds secret %s", p, secret)
			}
		}
		if (strings.HasSuffix(p, "/secrets.env") || strings.HasSuffix(p, "/fingerprint.key")) && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", p, fi.Mode())
		}
	}

	if err := h.app.Uninstall(ctx); err != nil {
		t.Fatal(err)
	}
	if left := listFiles(t, h.o.Root); len(left) != 0 {
		t.Fatalf("uninstall left %d files: %v", len(left), left)
	}
	h.logs.Reset()
	if err := h.app.Uninstall(ctx); err != nil || !strings.Contains(h.logs.String(), "nothing to do") {
		t.Fatalf("second uninstall: %v %s", err, h.logs.String())
	}
	if calls := h.mgr.Calls(); len(calls) != 0 {
		t.Fatalf("systemd contacted with a staging root: %v", calls)
	}
}

func TestInstallChecksImagesOnceAndRendersTheTemplates(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.o.SkipImageCheck = false
	h.rebuild()
	h.install()
	var checks []string
	for _, c := range h.runner.Calls() {
		if strings.HasPrefix(c, "podman image ") {
			checks = append(checks, c)
		}
	}
	if len(checks) != 1 || strings.Count(checks[0], " localhost/") != 13 {
		t.Fatalf("image checks %v, want one inspect of the 13 images", checks)
	}
	if n := strings.Count(h.logs.String(), "check: "); n != 1 {
		t.Fatalf("check ran %d times:\n%s", n, h.logs.String())
	}
	if _, err := os.Stat(h.o.Root + "/var/lib/hotstack-os/runtime/config/keystone/keystone.conf"); err != nil {
		t.Fatalf("templates not rendered: %v", err)
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	cases := map[string]string{
		"bad ip":        "KEYSTONE_IP=172.31.0.999\n",
		"unknown key":   "KEYSTONE_IPP=1\n",
		"published":     "DB_PASSWORD=openstack\n",
		"relative path": "HOTSTACK_DATA_DIR=relative\n",
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, env)
			err := h.app.Install(context.Background())
			if err == nil || !strings.Contains(err.Error(), h.o.EnvFile+":1:") {
				t.Fatalf("error %v does not name %s:1", err, h.o.EnvFile)
			}
			if entries, _ := os.ReadDir(h.o.Root); len(entries) != 0 {
				t.Fatalf("install wrote under %s despite bad input", h.o.Root)
			}
		})
	}
}

func TestMissingImagesStopInstall(t *testing.T) {
	h := newHarness(t, "")
	h.o.SkipImageCheck = false
	delete(h.images, "localhost/hotstack-os_keystone:2025.1")
	h.rebuild()
	err := h.app.Install(context.Background())
	if err == nil || !strings.Contains(err.Error(), "localhost/hotstack-os_keystone:2025.1 (used by keystone)") || exitcode.Code(err) != 1 {
		t.Fatalf("error %v does not list the missing image", err)
	}
	if entries, _ := os.ReadDir(h.o.Root); len(entries) != 0 {
		t.Fatal("install wrote despite missing images")
	}
}
