package testrun

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/settings"
)

// Switches are the HOTSTACK_* switches of the test tiers, with their
// defaults applied. They are read here, not in internal/settings, because
// no production target looks at them: only `mage test` and the e2e suite.
type Switches struct {
	E2E      bool // HOTSTACK_E2E (default on; 0 skips the end-to-end tiers)
	E2ECloud bool // HOTSTACK_E2E_CLOUD (default on; 0 skips the real-cloud tier)
	// E2EFocus (HOTSTACK_E2E_FOCUS=secrets,logs) are words of the
	// journey's step names: only the steps whose name holds one run
	// (default: every step).
	E2EFocus []string
}

// SwitchesFromEnv reads the switches from the process environment.
func SwitchesFromEnv() (Switches, error) { return ParseSwitches(os.Getenv) }

// ParseSwitches reads the switches through getenv as internal/settings
// reads its own: every problem reported at once, each naming its
// variable, and a value that is not one of a switch's values is a
// problem, not a default. The error is a *settings.Error, so that the
// JSON modes report it as they report settings' (one problem per
// variable); its JSON field stays false, since the app running the target
// knows from its own settings whether the run asked for JSON.
func ParseSwitches(getenv func(string) string) (Switches, error) {
	var problems []string
	// oneOf returns the value of key, which must be one of values ("" is
	// the default, always allowed).
	oneOf := func(key string, values ...string) string {
		v := getenv(key)
		if v != "" && !slices.Contains(values, v) {
			problems = append(problems, fmt.Sprintf("%s=%s: must be %s (or unset)", key, v, strings.Join(values, " or ")))
		}
		return v
	}
	s := Switches{
		E2E:      oneOf("HOTSTACK_E2E", "0", "1") != "0",
		E2ECloud: oneOf("HOTSTACK_E2E_CLOUD", "0", "1") != "0",
	}
	if f := getenv("HOTSTACK_E2E_FOCUS"); f != "" {
		s.E2EFocus = strings.Split(f, ",")
	}
	if len(problems) > 0 {
		return s, &settings.Error{Problems: problems}
	}
	return s, nil
}
