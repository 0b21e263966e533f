package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

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
			if err == nil || len(code) != 1 || code[0] != ExitFailure {
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
	if err == nil || len(code) != 1 || code[0] != ExitFailure {
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
	h := newHarness(t, "REGION_NAME=RegionOne\nDB_PASSWORD=x1\nDB_PASSWORD=x2\n")
	h.o.Environ = func() []string { return []string{"REGION_NAME=Other"} }
	h.rebuild()
	h.install()
	logs := h.logs.String()
	for _, want := range []string{"REGION_NAME is set in the process environment too", "DB_PASSWORD: set again (first on line 2)", "built-in default passwords"} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("%q printed %d times, want once:\n%s", want, n, logs)
		}
	}
	if !strings.Contains(logs, "KEYSTONE_ADMIN_PASSWORD, MYSQL_ROOT_PASSWORD, SERVICE_PASSWORD, RABBITMQ_DEFAULT_PASS") {
		t.Errorf("the warning does not name the keys:\n%s", logs)
	}
}

// TestMissingEnvWarnsAboutDefaultPasswords: without a .env, the defaults
// (and their published passwords) are used, and the warning says so.
func TestMissingEnvWarnsAboutDefaultPasswords(t *testing.T) {
	h := newHarness(t, "")
	if err := h.app.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(h.logs.String(), "built-in default passwords"); n != 1 {
		t.Fatalf("warned %d times:\n%s", n, h.logs.String())
	}
	if _, err := os.Stat(h.o.EnvFile); err == nil {
		t.Fatal("the harness should have no .env")
	}
}
