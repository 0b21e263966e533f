package settings

import (
	"reflect"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	s, err := Parse(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{EnvFile: ".env", Root: "/", ConfigsDir: "templates/configs", ScriptsDir: "templates/scripts",
		LogsLines: 50, LogsFollow: true, E2E: true}
	if !equal(s, want) || !s.Live() {
		t.Fatalf("got %+v", s)
	}
}

func TestSwitches(t *testing.T) {
	s, err := Parse(env(map[string]string{
		"HOTSTACK_ENV": "/x.env", "HOTSTACK_ROOT": "/stage", "HOTSTACK_SKIP_IMAGE_CHECK": "1", "HOTSTACK_PURGE": "1",
		"HOTSTACK_STRICT_LAYERS": "1", "HOTSTACK_LOG_FORMAT": "json", "HOTSTACK_OUTPUT": "json",
		"HOTSTACK_LOGS_LINES": "7", "HOTSTACK_LOGS_FOLLOW": "0", "HOTSTACK_E2E": "0", "HOTSTACK_E2E_FOCUS": "secrets,logs",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{EnvFile: "/x.env", Root: "/stage", SkipImageCheck: true, Purge: true, StrictLayers: true, JSONLogs: true,
		JSONOutput: true, ConfigsDir: "templates/configs", ScriptsDir: "templates/scripts", LogsLines: 7, E2EFocus: []string{"secrets", "logs"}}
	if !equal(s, want) || s.Live() {
		t.Fatalf("got %+v", s)
	}
	if _, err := Parse(env(map[string]string{"HOTSTACK_LOGS_LINES": "many"})); err == nil || !strings.Contains(err.Error(), "HOTSTACK_LOGS_LINES") {
		t.Fatalf("bad number: %v", err)
	}
}

func equal(a, b Settings) bool { return reflect.DeepEqual(a, b) }
