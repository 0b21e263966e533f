package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/settings"
)

// jsonLines decodes every line of out as a JSON object; it fails t on a
// line that is not one.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q (%v)\nall output:\n%s", line, err, out)
		}
		objs = append(objs, m)
	}
	return objs
}

func TestErrorsAreJSONInJSONModes(t *testing.T) {
	for _, mode := range []string{"HOTSTACK_LOG_FORMAT=json", "HOTSTACK_OUTPUT=json"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, "REGION_NAME=ok\nKEYSTONE_IP=172.31.0.999\n")
			h.o.JSONLogs, h.o.JSONOutput = mode == "HOTSTACK_LOG_FORMAT=json", mode == "HOTSTACK_OUTPUT=json"
			h.rebuild()
			var stderr bytes.Buffer
			var code []int
			err := run(func() (*App, error) { return h.app, nil }, (*App).Check, &stderr, func(c int) { code = append(code, c) })
			if err == nil || len(code) != 1 || code[0] != exitcode.Failure {
				t.Fatalf("err %v, exit %v", err, code)
			}
			objs := jsonLines(t, stderr.String())
			if len(objs) != 1 {
				t.Fatalf("want one JSON object on stderr, got %d:\n%s", len(objs), stderr.String())
			}
			o := objs[0]
			if o["level"] != "error" || !strings.Contains(o["error"].(string), "KEYSTONE_IP") || o["key"] != "KEYSTONE_IP" ||
				o["file"] != h.o.EnvFile || o["line"] != float64(2) {
				t.Fatalf("object %v", o)
			}
		})
	}
}

func TestSwitchErrorsAreJSONInJSONModes(t *testing.T) {
	_, serr := settings.Parse(func(k string) string {
		return map[string]string{"HOTSTACK_LOG_FORMAT": "json", "HOTSTACK_PURGE": "yes"}[k]
	})
	var stderr bytes.Buffer
	var code []int
	err := run(func() (*App, error) { return nil, serr }, (*App).Check, &stderr, func(c int) { code = append(code, c) })
	if err == nil || len(code) != 1 || code[0] != exitcode.Failure {
		t.Fatalf("err %v, exit %v", err, code)
	}
	objs := jsonLines(t, stderr.String())
	if len(objs) != 1 || objs[0]["level"] != "error" || objs[0]["variable"] != "HOTSTACK_PURGE" ||
		!strings.Contains(objs[0]["error"].(string), "HOTSTACK_PURGE=yes") {
		t.Fatalf("objects %v", objs)
	}
	// Plain mode: mage prints the error; nothing here.
	stderr.Reset()
	code = nil
	err = run(func() (*App, error) { return nil, errors.New("plain") }, (*App).Check, &stderr, func(c int) { code = append(code, c) })
	if err == nil || stderr.Len() != 0 || len(code) != 0 {
		t.Fatalf("plain: %v %q %v", err, stderr.String(), code)
	}
}

// TestWarningsOncePerRun: install runs check and config too; the .env is
// read once, so each warning is printed once.
func TestWarningsOncePerRun(t *testing.T) {
	h := newHarness(t, "REGION_NAME=RegionOne\nALLOW_PUBLISHED_PASSWORDS=true\nDB_PASSWORD=x1\nDB_PASSWORD=openstack\nKEYSTONE_ADMIN_PASSWORD=admin\n")
	h.o.Environ = func() []string { return []string{"REGION_NAME=Other"} }
	h.rebuild()
	h.install()
	logs := h.logs.String()
	for _, want := range []string{"REGION_NAME is set in the process environment too", "DB_PASSWORD: set again (first on line 3)", "sets published passwords"} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("%q printed %d times, want once:\n%s", want, n, logs)
		}
	}
	if !strings.Contains(logs, "for KEYSTONE_ADMIN_PASSWORD, DB_PASSWORD (accepted because ALLOW_PUBLISHED_PASSWORDS=true)") {
		t.Errorf("the warning does not name the keys:\n%s", logs)
	}
}

// TestMissingEnvGeneratesSecrets: without a .env every secret is
// generated, install keeps them (0600), and the next run uses the same.
func TestMissingEnvGeneratesSecrets(t *testing.T) {
	h := newHarness(t, "")
	if err := h.app.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(h.logs.String(), "generated 18 secrets"); n != 1 {
		t.Fatalf("said %d times that it generated the secrets:\n%s", n, h.logs.String())
	}
	h.install()
	path := install.Rooted(h.o.Root, h.o.Paths.GeneratedSecretsFile())
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated secrets file: %v %v", fi, err)
	}
	stored, err := config.ReadStoredSecrets(path)
	if err != nil || len(stored) != 18 {
		t.Fatalf("stored %d secrets: %v", len(stored), err)
	}
	h.logs.Reset()
	h.rebuild()
	h.install()
	if strings.Contains(h.logs.String(), "generated") || !strings.Contains(h.logs.String(), "install: unchanged") {
		t.Fatalf("a second install generated again or changed something:\n%s", h.logs.String())
	}
	again, err := config.ReadStoredSecrets(path)
	if err != nil || !maps.Equal(again, stored) {
		t.Fatalf("the stored secrets changed: %v", err)
	}
	if _, err := os.Stat(h.o.EnvFile); err == nil {
		t.Fatal("the harness should have no .env")
	}
}

func TestRunReportsABrokenSetup(t *testing.T) {
	err := Run(func() (*App, error) { return nil, errors.New("HOTSTACK_LOGS_LINES: bad") }, (*App).Graph)
	if exitcode.Code(err) != exitcode.Failure {
		t.Fatalf("got %v", err)
	}
}
