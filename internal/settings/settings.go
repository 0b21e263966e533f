// Package settings reads the HOTSTACK_* switches of the process
// environment. It is the only place that does for the production targets:
// the application is built from one Settings, parsed once per run. (The
// .env is not a switch: the config package reads it. The test tiers'
// switches, HOTSTACK_E2E*, are internal/testrun's, so that no production
// run parses them.)
package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Settings are the HOTSTACK_* switches, with their defaults applied.
type Settings struct {
	EnvFile        string // HOTSTACK_ENV: the .env to read (default .env)
	Root           string // HOTSTACK_ROOT: prefix for every path written (default /), absolute and clean
	SkipImageCheck bool   // HOTSTACK_SKIP_IMAGE_CHECK=1
	Purge          bool   // HOTSTACK_PURGE=1
	StrictLayers   bool   // HOTSTACK_STRICT_LAYERS=1
	JSONLogs       bool   // HOTSTACK_LOG_FORMAT=json
	JSONOutput     bool   // HOTSTACK_OUTPUT=json (status)
	ConfigsDir     string // HOTSTACK_CONFIGS_DIR (default templates/configs)
	ScriptsDir     string // HOTSTACK_SCRIPTS_DIR (default templates/scripts)
	LogsLines      int    // HOTSTACK_LOGS_LINES (default 50)
	LogsFollow     bool   // HOTSTACK_LOGS_FOLLOW (default on; 0 turns it off)
	// EnvFileExplicit: HOTSTACK_ENV was set, so the file must exist (the
	// built-in defaults stand in only for a missing ./.env).
	EnvFileExplicit bool
	ForceImages     bool   // HOTSTACK_FORCE_IMAGES=1: rebuild images whose recipe did not change
	ImageUpdates    bool   // HOTSTACK_IMAGE_UPDATES (default on; 0: `mage images` does not check for package updates)
	DebianMirror    string // HOTSTACK_DEBIAN_MIRROR (default http://deb.debian.org/debian)
	ImageCache      string // HOTSTACK_IMAGE_CACHE: apt lists and .debs kept between builds, and the last update check (default /var/cache/hotstack-os/apt)
	// SmokeEgressURL (HOTSTACK_SMOKE_EGRESS_URL) is a page outside the
	// cloud a smoke guest fetches; SmokeEgressExpect
	// (HOTSTACK_SMOKE_EGRESS_EXPECT) is text it must contain.
	SmokeEgressURL, SmokeEgressExpect string
	// SmokeLifecycle (HOTSTACK_SMOKE_LIFECYCLE=0 turns it off) runs the
	// smoke's server-lifecycle checks: UEFI boot, rebuild, rescue.
	SmokeLifecycle bool
	// PostSetup (HOTSTACK_POST_SETUP, default on; 0 turns it off) is
	// whether up ends with post-setup.
	PostSetup bool
	// PurgeConfirmed (HOTSTACK_PURGE_CONFIRM=yes) answers purge's question
	// in advance: without a terminal to ask on, a purge needs it.
	PurgeConfirmed bool
	// BackupDir (HOTSTACK_BACKUP_DIR, default /var/backups/hotstack-os)
	// holds `mage backup`'s directories, one per run.
	BackupDir string
}

// Error lists every problem with the switches, each naming its variable.
// JSON tells whether the run asked for JSON output, so that even this
// error can be reported as JSON.
type Error struct {
	Problems []string
	JSON     bool
}

func (e *Error) Error() string { return strings.Join(e.Problems, "; ") }

// FromEnv reads the settings from the process environment.
func FromEnv() (Settings, error) { return ParseWith(os.Getenv, os.Stat) }

// Parse reads the settings through getenv without looking at the file
// system: explicit paths are not checked (see ParseWith).
func Parse(getenv func(string) string) (Settings, error) { return ParseWith(getenv, nil) }

// ParseWith reads the settings through getenv and checks, through stat
// (unless nil), that the paths given explicitly exist and are of the right
// kind. Every problem is reported at once, each naming its variable; a
// value that is not one of a switch's values is a problem, not a default.
func ParseWith(getenv func(string) string, stat func(string) (fs.FileInfo, error)) (Settings, error) {
	var problems []string
	bad := func(key, val, format string, a ...any) {
		problems = append(problems, fmt.Sprintf("%s=%s: %s", key, val, fmt.Sprintf(format, a...)))
	}
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	// oneOf returns the value of key, which must be one of values ("" is
	// the default, always allowed).
	oneOf := func(key string, values ...string) string {
		v := getenv(key)
		if v != "" && !slices.Contains(values, v) {
			bad(key, v, "must be %s (or unset)", strings.Join(values, " or "))
		}
		return v
	}
	s := Settings{
		EnvFile:           or("HOTSTACK_ENV", ".env"),
		EnvFileExplicit:   getenv("HOTSTACK_ENV") != "",
		Root:              or("HOTSTACK_ROOT", "/"),
		SkipImageCheck:    oneOf("HOTSTACK_SKIP_IMAGE_CHECK", "0", "1") == "1",
		Purge:             oneOf("HOTSTACK_PURGE", "0", "1") == "1",
		PurgeConfirmed:    oneOf("HOTSTACK_PURGE_CONFIRM", "yes") == "yes",
		BackupDir:         or("HOTSTACK_BACKUP_DIR", "/var/backups/hotstack-os"),
		StrictLayers:      oneOf("HOTSTACK_STRICT_LAYERS", "0", "1") == "1",
		JSONLogs:          oneOf("HOTSTACK_LOG_FORMAT", "console", "json") == "json",
		JSONOutput:        oneOf("HOTSTACK_OUTPUT", "text", "json") == "json",
		ConfigsDir:        or("HOTSTACK_CONFIGS_DIR", "templates/configs"),
		ScriptsDir:        or("HOTSTACK_SCRIPTS_DIR", "templates/scripts"),
		LogsFollow:        oneOf("HOTSTACK_LOGS_FOLLOW", "0", "1") != "0",
		ForceImages:       oneOf("HOTSTACK_FORCE_IMAGES", "0", "1") == "1",
		ImageUpdates:      oneOf("HOTSTACK_IMAGE_UPDATES", "0", "1") != "0",
		DebianMirror:      or("HOTSTACK_DEBIAN_MIRROR", "http://deb.debian.org/debian"),
		ImageCache:        or("HOTSTACK_IMAGE_CACHE", "/var/cache/hotstack-os/apt"),
		LogsLines:         50,
		PostSetup:         oneOf("HOTSTACK_POST_SETUP", "0", "1") != "0",
		SmokeEgressURL:    getenv("HOTSTACK_SMOKE_EGRESS_URL"),
		SmokeEgressExpect: getenv("HOTSTACK_SMOKE_EGRESS_EXPECT"),
		SmokeLifecycle:    oneOf("HOTSTACK_SMOKE_LIFECYCLE", "0", "1") != "0",
	}
	if v := getenv("HOTSTACK_LOGS_LINES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("HOTSTACK_LOGS_LINES", v, "not a whole number of lines (0 or more)")
		} else {
			s.LogsLines = n
		}
	}
	// Not resolved against the working directory: the backup directory is
	// under HOTSTACK_ROOT like every path written.
	if !filepath.IsAbs(s.BackupDir) {
		bad("HOTSTACK_BACKUP_DIR", s.BackupDir, "not an absolute path")
	} else {
		s.BackupDir = filepath.Clean(s.BackupDir)
	}
	if root, err := filepath.Abs(s.Root); err != nil {
		bad("HOTSTACK_ROOT", s.Root, "%v", err)
	} else {
		s.Root = root // clean: "//" is "/", the live system
	}
	if stat != nil {
		check := func(key string, wantDir bool) {
			v := getenv(key)
			if v == "" {
				return
			}
			path := v
			if key == "HOTSTACK_ROOT" {
				path = s.Root
			}
			fi, err := stat(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				bad(key, v, "does not exist")
			case err != nil:
				bad(key, v, "%v", err)
			case wantDir && !fi.IsDir():
				bad(key, v, "is not a directory")
			case !wantDir && fi.IsDir():
				bad(key, v, "is a directory, not a file")
			}
		}
		check("HOTSTACK_ENV", false)
		check("HOTSTACK_ROOT", true)
		check("HOTSTACK_CONFIGS_DIR", true)
		check("HOTSTACK_SCRIPTS_DIR", true)
	}
	if len(problems) > 0 {
		return s, &Error{Problems: problems, JSON: s.JSON()}
	}
	return s, nil
}

// JSON reports whether the run asked for JSON (HOTSTACK_LOG_FORMAT or
// HOTSTACK_OUTPUT): its errors are then printed as JSON too.
func (s Settings) JSON() bool { return s.JSONLogs || s.JSONOutput }

// Live reports whether writes go to the running system (root "/").
func (s Settings) Live() bool { return s.Root == "" || s.Root == "/" }
