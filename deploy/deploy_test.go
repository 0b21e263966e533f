package deploy

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/systemd"
	"github.com/hotstack-os/hotstack-os/units"
)

const secretEnv = "KEYSTONE_ADMIN_PASSWORD=Adm1n-unique\nMYSQL_ROOT_PASSWORD=R00t-unique\nDB_PASSWORD=Db-unique\n" +
	"SERVICE_PASSWORD=Svc-unique\nRABBITMQ_DEFAULT_PASS=Rabbit-unique\n"

func testOptions(t *testing.T, env string) (Options, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "missing.env")
	if env != "" {
		envFile = filepath.Join(dir, ".env")
		if err := os.WriteFile(envFile, []byte(env), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	return Options{
		EnvFile:        envFile,
		Root:           filepath.Join(dir, "root"),
		SkipImageCheck: true,
		Paths:          units.DefaultPaths,
		Stack:          testStack(),
		Runner:         &execx.Fake{},
		Log:            zerolog.New(&logs),
		Systemd: func(context.Context) (systemd.Manager, error) {
			t.Fatal("systemd used with a staging root")
			return nil, nil
		},
		BuildHelper: func(context.Context) ([]byte, error) { return []byte("#!/bin/sh\n"), nil },
	}, &logs
}

func listFiles(t *testing.T, root string) map[string]fs.FileInfo {
	t.Helper()
	out := map[string]fs.FileInfo{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			out[p] = fi
		}
		return nil
	})
	return out
}

func TestInstallIsIdempotentAndUninstallRemovesAll(t *testing.T) {
	o, logs := testOptions(t, secretEnv)
	ctx := context.Background()
	res, err := Install(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	files := listFiles(t, o.Root)
	units := 0
	for p := range files {
		if strings.HasSuffix(p, ".service") || strings.HasSuffix(p, ".target") {
			units++
		}
	}
	if units != 24 || len(res.Written) != 28 {
		t.Fatalf("%d unit files, %d written; want 24 and 28 (units, config, secrets, helper, manifest)", units, len(res.Written))
	}

	// Second run: nothing written, no mtime moved.
	old := time.Unix(1_500_000_000, 0)
	for p := range files {
		_ = os.Chtimes(p, old, old)
	}
	logs.Reset()
	res, err = Install(ctx, o)
	if err != nil || res.Changed() {
		t.Fatalf("second install changed %v (err %v)", res.Written, err)
	}
	if !strings.Contains(logs.String(), "unchanged") {
		t.Fatalf("second install did not say unchanged: %s", logs.String())
	}
	for p, fi := range listFiles(t, o.Root) {
		if !fi.ModTime().Equal(old) {
			t.Errorf("%s mtime changed", p)
		}
	}

	// Secrets appear only in secrets.env, which is 0600.
	for p, fi := range listFiles(t, o.Root) {
		data, _ := os.ReadFile(p)
		for _, secret := range []string{"Adm1n-unique", "R00t-unique", "Db-unique", "Svc-unique", "Rabbit-unique"} {
			if bytes.Contains(data, []byte(secret)) && !strings.HasSuffix(p, "/secrets.env") {
				t.Errorf("%s holds secret %s", p, secret)
			}
		}
		if strings.HasSuffix(p, "/secrets.env") && fi.Mode().Perm() != 0o600 {
			t.Errorf("secrets.env mode %v", fi.Mode())
		}
	}

	if err := Uninstall(ctx, o); err != nil {
		t.Fatal(err)
	}
	if left := listFiles(t, o.Root); len(left) != 0 {
		t.Fatalf("uninstall left %d files: %v", len(left), left)
	}
	logs.Reset()
	if err := Uninstall(ctx, o); err != nil || !strings.Contains(logs.String(), "nothing to do") {
		t.Fatalf("second uninstall: %v %s", err, logs.String())
	}
}

func TestBadInputWritesNothing(t *testing.T) {
	cases := map[string]string{
		"bad ip":        "KEYSTONE_IP=172.31.0.999\n",
		"unknown key":   "KEYSTONE_IPP=1\n",
		"empty secret":  "DB_PASSWORD=\n",
		"relative path": "HOTSTACK_DATA_DIR=relative\n",
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			o, _ := testOptions(t, env)
			_, err := Install(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), o.EnvFile+":1:") {
				t.Fatalf("error %v does not name %s:1", err, o.EnvFile)
			}
			if _, statErr := os.Stat(o.Root); statErr == nil {
				t.Fatalf("install wrote under %s despite bad input", o.Root)
			}
		})
	}
}

func TestMissingImagesStopInstall(t *testing.T) {
	o, _ := testOptions(t, "")
	o.SkipImageCheck = false
	o.Runner = &execx.Fake{Handler: func(_ context.Context, c execx.Command) (execx.Result, error) {
		if strings.Contains(strings.Join(c.Args, " "), "keystone") {
			return execx.Result{}, &execx.Error{Cmd: c, ExitCode: 1, Err: os.ErrNotExist}
		}
		return execx.Result{}, nil
	}}
	_, err := Install(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "localhost/hotstack-os_keystone:latest (used by keystone)") {
		t.Fatalf("error %v does not list the missing image", err)
	}
	if _, statErr := os.Stat(o.Root); statErr == nil {
		t.Fatal("install wrote despite missing images")
	}
}

func TestTemplatesRejectUnknownPlaceholder(t *testing.T) {
	o, _ := testOptions(t, "")
	cfg, err := o.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	_ = os.WriteFile(filepath.Join(src, "good.conf"), []byte("ip=__KEYSTONE_IP__\n"), 0o644)
	_ = os.WriteFile(filepath.Join(src, "bad.conf"), []byte("ok\nip=__KEYSTONE_IPP__\n"), 0o644)
	_, err = RenderTemplates(cfg, src)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(src, "bad.conf")+":2: unknown placeholder __KEYSTONE_IPP__ (did you mean __KEYSTONE_IP__?)") {
		t.Fatalf("got %v", err)
	}
	_ = os.Remove(filepath.Join(src, "bad.conf"))
	_ = os.WriteFile(filepath.Join(src, "secret.conf"), []byte("pw=__DB_PASSWORD__\n"), 0o644)
	files, err := RenderTemplates(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		want := fs.FileMode(0o644)
		if f.Rel == "secret.conf" {
			want = 0o600
		}
		if f.Mode != want {
			t.Errorf("%s mode %v, want %v", f.Rel, f.Mode, want)
		}
	}
}

func TestRepositoryTemplatesRender(t *testing.T) {
	o, _ := testOptions(t, "")
	cfg, err := o.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"../templates/configs", "../templates/scripts"} {
		if _, err := RenderTemplates(cfg, dir); err != nil {
			t.Error(err)
		}
	}
}

func testStack() *stack.Stack {
	st, err := stack.Default()
	if err != nil {
		panic(err)
	}
	return st
}
