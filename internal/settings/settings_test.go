package settings

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	s, err := Parse(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{EnvFile: ".env", Root: "/", ConfigsDir: "templates/configs", ScriptsDir: "templates/scripts",
		LogsLines: 50, LogsFollow: true, PostSetup: true, SmokeLifecycle: true, ImageUpdates: true,
		DebianMirror: "http://deb.debian.org/debian", ImageCache: "/var/cache/hotstack-os/apt", BackupDir: "/var/backups/hotstack-os"}
	if !equal(s, want) || !s.Live() {
		t.Fatalf("got %+v", s)
	}
}

func TestSwitches(t *testing.T) {
	s, err := Parse(env(map[string]string{
		"HOTSTACK_ENV": "/x.env", "HOTSTACK_ROOT": "/stage", "HOTSTACK_SKIP_IMAGE_CHECK": "1", "HOTSTACK_PURGE": "1",
		"HOTSTACK_PURGE_CONFIRM": "yes", "HOTSTACK_BACKUP_DIR": "/srv/backups/",
		"HOTSTACK_STRICT_LAYERS": "1", "HOTSTACK_LOG_FORMAT": "json", "HOTSTACK_OUTPUT": "json",
		"HOTSTACK_LOGS_LINES": "7", "HOTSTACK_LOGS_FOLLOW": "0",
		"HOTSTACK_FORCE_IMAGES": "1", "HOTSTACK_IMAGE_UPDATES": "0", "HOTSTACK_DEBIAN_MIRROR": "http://mirror.example/debian",
		"HOTSTACK_IMAGE_CACHE": "/srv/cache", "HOTSTACK_POST_SETUP": "0",
		"HOTSTACK_SMOKE_EGRESS_URL": "http://www.example.test/", "HOTSTACK_SMOKE_EGRESS_EXPECT": "hello",
		"HOTSTACK_SMOKE_LIFECYCLE": "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{EnvFile: "/x.env", Root: "/stage", SkipImageCheck: true, Purge: true, PurgeConfirmed: true, BackupDir: "/srv/backups", StrictLayers: true, JSONLogs: true,
		JSONOutput: true, ConfigsDir: "templates/configs", ScriptsDir: "templates/scripts", LogsLines: 7,
		EnvFileExplicit: true, ForceImages: true, DebianMirror: "http://mirror.example/debian", ImageCache: "/srv/cache",
		SmokeEgressURL: "http://www.example.test/", SmokeEgressExpect: "hello"}
	if !equal(s, want) || s.Live() {
		t.Fatalf("got %+v", s)
	}
	if _, err := Parse(env(map[string]string{"HOTSTACK_LOGS_LINES": "many"})); err == nil || !strings.Contains(err.Error(), "HOTSTACK_LOGS_LINES") {
		t.Fatalf("bad number: %v", err)
	}
}

func equal(a, b Settings) bool { return reflect.DeepEqual(a, b) }

// fakeFS answers stat for the paths it holds: true for a directory.
func fakeFS(paths map[string]bool) func(string) (fs.FileInfo, error) {
	return func(p string) (fs.FileInfo, error) {
		dir, ok := paths[p]
		if !ok {
			return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
		}
		return fakeInfo{dir}, nil
	}
}

type fakeInfo struct{ dir bool }

func (f fakeInfo) Name() string { return "x" }
func (f fakeInfo) Size() int64  { return 0 }
func (f fakeInfo) Mode() fs.FileMode {
	if f.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return f.dir }
func (f fakeInfo) Sys() any           { return nil }

func TestUnknownValuesAreErrorsNamingTheVariable(t *testing.T) {
	for name, val := range map[string]string{
		"HOTSTACK_LOG_FORMAT": "xml", "HOTSTACK_OUTPUT": "yaml", "HOTSTACK_PURGE": "yes", "HOTSTACK_SKIP_IMAGE_CHECK": "true",
		"HOTSTACK_STRICT_LAYERS": "2", "HOTSTACK_LOGS_FOLLOW": "no", "HOTSTACK_LOGS_LINES": "-5",
		// The confirmation of a purge is the word, not a flag set by habit.
		"HOTSTACK_PURGE_CONFIRM": "1", "HOTSTACK_BACKUP_DIR": "backups",
	} {
		_, err := ParseWith(env(map[string]string{name: val}), fakeFS(nil))
		if err == nil || !strings.Contains(err.Error(), name+"="+val+": ") {
			t.Errorf("%s=%s: %v", name, val, err)
		}
	}
	_, err := ParseWith(env(map[string]string{"HOTSTACK_LOGS_LINES": "abc", "HOTSTACK_OUTPUT": "xml"}), fakeFS(nil))
	if err == nil || !strings.Contains(err.Error(), `HOTSTACK_LOGS_LINES=abc: not a whole number of lines (0 or more)`) || !strings.Contains(err.Error(), "HOTSTACK_OUTPUT=xml: ") {
		t.Errorf("every problem at once: %v", err)
	}
}

func TestExplicitPathsMustExist(t *testing.T) {
	files := fakeFS(map[string]bool{"/etc/a.env": false, "/stage": true, "/afile": false, "/tpl": true})
	cases := map[string]string{
		"HOTSTACK_ENV=/missing.env":     "HOTSTACK_ENV=/missing.env: does not exist",
		"HOTSTACK_ENV=/stage":           "HOTSTACK_ENV=/stage: is a directory, not a file",
		"HOTSTACK_ROOT=/missing":        "HOTSTACK_ROOT=/missing: does not exist",
		"HOTSTACK_ROOT=/afile":          "HOTSTACK_ROOT=/afile: is not a directory",
		"HOTSTACK_CONFIGS_DIR=/missing": "HOTSTACK_CONFIGS_DIR=/missing: does not exist",
		"HOTSTACK_SCRIPTS_DIR=/afile":   "HOTSTACK_SCRIPTS_DIR=/afile: is not a directory",
	}
	for kv, want := range cases {
		k, v, _ := strings.Cut(kv, "=")
		if _, err := ParseWith(env(map[string]string{k: v}), files); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", kv, err, want)
		}
	}
	s, err := ParseWith(env(map[string]string{"HOTSTACK_ENV": "/etc/a.env", "HOTSTACK_ROOT": "/stage", "HOTSTACK_CONFIGS_DIR": "/tpl"}), files)
	if err != nil || !s.EnvFileExplicit || s.Root != "/stage" || s.ConfigsDir != "/tpl" {
		t.Fatalf("%+v %v", s, err)
	}
	// The default .env may be missing (the built-in defaults are used).
	if s, err := ParseWith(env(nil), files); err != nil || s.EnvFileExplicit {
		t.Fatalf("defaults: %+v %v", s, err)
	}
}

func TestRootIsCleaned(t *testing.T) {
	s, err := ParseWith(env(map[string]string{"HOTSTACK_ROOT": "//"}), fakeFS(map[string]bool{"/": true}))
	if err != nil || s.Root != "/" || !s.Live() {
		t.Fatalf("HOTSTACK_ROOT=//: %+v %v", s, err)
	}
	s, err = ParseWith(env(map[string]string{"HOTSTACK_ROOT": "/stage//x/"}), fakeFS(map[string]bool{"/stage/x": true}))
	if err != nil || s.Root != "/stage/x" || s.Live() {
		t.Fatalf("HOTSTACK_ROOT=/stage//x/: %+v %v", s, err)
	}
}

func TestJSONModesSurviveOtherErrors(t *testing.T) {
	s, err := ParseWith(env(map[string]string{"HOTSTACK_LOG_FORMAT": "json", "HOTSTACK_PURGE": "yes"}), fakeFS(nil))
	if err == nil || !s.JSONLogs {
		t.Fatalf("the error of a JSON run must know it is one: %+v %v", s, err)
	}
}

// TestTestSwitchesAreNotSettings: the test tiers' switches are
// internal/testrun's, so that a production run does not parse them (nor
// fail on them).
func TestTestSwitchesAreNotSettings(t *testing.T) {
	if _, err := Parse(env(map[string]string{"HOTSTACK_E2E": "maybe", "HOTSTACK_E2E_CLOUD": "no", "HOTSTACK_E2E_FOCUS": "logs"})); err != nil {
		t.Fatal(err)
	}
}
