package testrun

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/settings"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSwitchDefaults(t *testing.T) {
	s, err := ParseSwitches(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Switches{E2E: true, E2ECloud: true}); !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v, want %+v", s, want)
	}
}

func TestSwitches(t *testing.T) {
	s, err := ParseSwitches(env(map[string]string{"HOTSTACK_E2E": "0", "HOTSTACK_E2E_CLOUD": "0", "HOTSTACK_E2E_FOCUS": "secrets,logs"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Switches{E2EFocus: []string{"secrets", "logs"}}); !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v, want %+v", s, want)
	}
	s, err = ParseSwitches(env(map[string]string{"HOTSTACK_E2E": "1", "HOTSTACK_E2E_CLOUD": "1"}))
	if err != nil || !s.E2E || !s.E2ECloud {
		t.Fatalf("1 is on: %+v %v", s, err)
	}
}

// TestUnknownSwitchValuesAreErrorsNamingTheVariable: as in settings, a
// value that is not one of a switch's is an error naming it, every
// problem at once, and a *settings.Error, which the JSON modes report
// variable by variable.
func TestUnknownSwitchValuesAreErrorsNamingTheVariable(t *testing.T) {
	for name, val := range map[string]string{"HOTSTACK_E2E": "maybe", "HOTSTACK_E2E_CLOUD": "no"} {
		_, err := ParseSwitches(env(map[string]string{name: val}))
		if want := name + "=" + val + ": must be 0 or 1 (or unset)"; err == nil || err.Error() != want {
			t.Errorf("%s=%s: %v, want %q", name, val, err, want)
		}
	}
	_, err := ParseSwitches(env(map[string]string{"HOTSTACK_E2E": "true", "HOTSTACK_E2E_CLOUD": "2"}))
	var se *settings.Error
	if !errors.As(err, &se) || len(se.Problems) != 2 || !strings.Contains(err.Error(), "HOTSTACK_E2E=true: ") || !strings.Contains(err.Error(), "HOTSTACK_E2E_CLOUD=2: ") {
		t.Errorf("every problem at once, as a settings.Error: %#v", err)
	}
}

// TestRunChecksItsSwitchesFirst: `mage test` with a wrong switch gets no
// suite to run, and the error says which switch.
func TestRunChecksItsSwitchesFirst(t *testing.T) {
	s, err := production(env(map[string]string{"HOTSTACK_E2E_CLOUD": "off"}), nil)
	if s != nil || err == nil || err.Error() != "HOTSTACK_E2E_CLOUD=off: must be 0 or 1 (or unset)" {
		t.Fatalf("got %v, %v", s, err)
	}
	s, err = production(env(map[string]string{"HOTSTACK_E2E": "0"}), nil)
	if err != nil || s.Switches.E2E || !s.Switches.E2ECloud || s.Tree != "." || s.Scratch != "/var/tmp" {
		t.Fatalf("got %+v, %v", s, err)
	}
}
