// Package settings reads the HOTSTACK_* switches of the process
// environment. It is the only place that does: the application is built
// from one Settings, parsed once per run. (The .env is not a switch: the
// config package reads it.)
package settings

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Settings are the HOTSTACK_* switches, with their defaults applied.
type Settings struct {
	EnvFile        string // HOTSTACK_ENV: the .env to read (default .env)
	Root           string // HOTSTACK_ROOT: prefix for every path written (default /)
	SkipImageCheck bool   // HOTSTACK_SKIP_IMAGE_CHECK=1
	Purge          bool   // HOTSTACK_PURGE=1
	StrictLayers   bool   // HOTSTACK_STRICT_LAYERS=1
	JSONLogs       bool   // HOTSTACK_LOG_FORMAT=json
	JSONOutput     bool   // HOTSTACK_OUTPUT=json (status)
	ConfigsDir     string // HOTSTACK_CONFIGS_DIR (default templates/configs)
	ScriptsDir     string // HOTSTACK_SCRIPTS_DIR (default templates/scripts)
	LogsLines      int    // HOTSTACK_LOGS_LINES (default 50)
	LogsFollow     bool   // HOTSTACK_LOGS_FOLLOW (default on; 0 turns it off)
	E2E            bool   // HOTSTACK_E2E (default on; 0 skips the e2e tier of `mage test`)
	E2EFocus       []string
	E2ECloud       bool   // HOTSTACK_E2E_CLOUD (default on; 0 skips the real-cloud tier)
	ForceImages    bool   // HOTSTACK_FORCE_IMAGES=1: rebuild images whose recipe did not change
	DebianMirror   string // HOTSTACK_DEBIAN_MIRROR (default http://deb.debian.org/debian)
	ImageCache     string // HOTSTACK_IMAGE_CACHE: apt lists and .debs kept between builds (default /var/cache/hotstack-os/apt)
}

// FromEnv reads the settings from the process environment.
func FromEnv() (Settings, error) { return Parse(os.Getenv) }

// Parse reads the settings through getenv. An unparsable value is an error
// naming the variable.
func Parse(getenv func(string) string) (Settings, error) {
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	s := Settings{
		EnvFile:        or("HOTSTACK_ENV", ".env"),
		Root:           or("HOTSTACK_ROOT", "/"),
		SkipImageCheck: getenv("HOTSTACK_SKIP_IMAGE_CHECK") == "1",
		Purge:          getenv("HOTSTACK_PURGE") == "1",
		StrictLayers:   getenv("HOTSTACK_STRICT_LAYERS") == "1",
		JSONLogs:       getenv("HOTSTACK_LOG_FORMAT") == "json",
		JSONOutput:     getenv("HOTSTACK_OUTPUT") == "json",
		ConfigsDir:     or("HOTSTACK_CONFIGS_DIR", "templates/configs"),
		ScriptsDir:     or("HOTSTACK_SCRIPTS_DIR", "templates/scripts"),
		LogsFollow:     getenv("HOTSTACK_LOGS_FOLLOW") != "0",
		E2E:            getenv("HOTSTACK_E2E") != "0",
		E2ECloud:       getenv("HOTSTACK_E2E_CLOUD") != "0",
		ForceImages:    getenv("HOTSTACK_FORCE_IMAGES") == "1",
		DebianMirror:   or("HOTSTACK_DEBIAN_MIRROR", "http://deb.debian.org/debian"),
		ImageCache:     or("HOTSTACK_IMAGE_CACHE", "/var/cache/hotstack-os/apt"),
	}
	if f := getenv("HOTSTACK_E2E_FOCUS"); f != "" {
		s.E2EFocus = strings.Split(f, ",")
	}
	n, err := strconv.Atoi(or("HOTSTACK_LOGS_LINES", "50"))
	if err != nil {
		return s, fmt.Errorf("HOTSTACK_LOGS_LINES: %w", err)
	}
	s.LogsLines = n
	return s, nil
}

// Live reports whether writes go to the running system (root "/").
func (s Settings) Live() bool { return s.Root == "" || s.Root == "/" }
