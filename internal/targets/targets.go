// Package targets is what each mage target says about itself: what it
// does, the HOTSTACK_* switches that change it, its exit statuses and one
// example. It is the one source of two texts that must agree: `mage -h
// TARGET`, which prints the target's doc comment in magefile.go, and the
// README's tables of targets and switches. Neither is edited by hand:
// `go test ./internal/targets -update` writes both from the data here.
package targets

import (
	"fmt"
	"slices"
	"strings"
)

// A Target is one mage target's help. Its texts are Markdown, as the
// README shows them: `code` in backticks, which the help leaves out.
type Target struct {
	// Func is the target's function in magefile.go; a namespace's target
	// is Namespace.Method ("Infra.Setup").
	Func string
	// Arg names the target's argument, as the README shows it ("DIR").
	Arg string
	// Summary completes the sentence that starts with the function's
	// name, period included. `mage -l` lists it, so it is one sentence
	// that fits a terminal line after the target's name.
	Summary string
	// About is what else a user needs to know, in paragraphs.
	About []string
	// Switches are the HOTSTACK_* switches that change what the target
	// does, by name (see Switches); Doc, when set, says what the switch
	// does to this target instead of the switch's own Doc.
	Switches []Use
	// Exits are the exit statuses the target ends with, and what each
	// means for it.
	Exits []Exit
	// Example is one shell command line, with a # comment when the
	// command alone does not say why.
	Example string
}

// A Use is a switch that changes a target.
type Use struct {
	Name string // HOTSTACK_PURGE
	Doc  string // what it does to this target; "" for the switch's own Doc
}

// An Exit is an exit status and what it means for a target.
type Exit struct {
	Code    int
	Meaning string
}

// A Switch is a HOTSTACK_* variable of the process environment that
// changes what a target does (internal/settings reads them). The .env's
// keys are not switches: config and the README's configuration table
// describe those.
type Switch struct {
	Name  string // HOTSTACK_PURGE
	Value string // the value to set, or what kind of value: "1", "FILE"
	Doc   string // what it does, whatever the target (Markdown)
}

// Name is the target's name on mage's command line: "up",
// "infra:setup" (mage takes any case).
func (t Target) Name() string {
	return strings.ToLower(strings.ReplaceAll(t.Func, ".", ":"))
}

// method is the function's own name, which the doc comment starts with.
func (t Target) method() string {
	_, m, found := strings.Cut(t.Func, ".")
	if !found {
		return t.Func
	}
	return m
}

// Lookup returns the target named name (as Name returns it), or false.
func Lookup(name string) (Target, bool) {
	i := slices.IndexFunc(All, func(t Target) bool { return t.Name() == name })
	if i < 0 {
		return Target{}, false
	}
	return All[i], true
}

// SwitchNamed returns the switch called name, or false.
func SwitchNamed(name string) (Switch, bool) {
	i := slices.IndexFunc(Switches, func(s Switch) bool { return s.Name == name })
	if i < 0 {
		return Switch{}, false
	}
	return Switches[i], true
}

// setting is the switch as a user types it: NAME=VALUE.
func (s Switch) setting() string { return s.Name + "=" + s.Value }

// doc is what the switch does to target t.
func (u Use) doc() string {
	if u.Doc != "" {
		return u.Doc
	}
	s, _ := SwitchNamed(u.Name)
	return s.Doc
}

// switches are the switches t uses, in t's order.
func (t Target) switches() []Switch {
	out := make([]Switch, 0, len(t.Switches))
	for _, u := range t.Switches {
		s, ok := SwitchNamed(u.Name)
		if !ok {
			panic(fmt.Sprintf("targets: %s uses %s, which is not in Switches", t.Name(), u.Name))
		}
		out = append(out, s)
	}
	return out
}

// UsedBy lists the names of the targets that take the switch, in All's
// order.
func UsedBy(name string) []string {
	var out []string
	for _, t := range All {
		if slices.ContainsFunc(t.Switches, func(u Use) bool { return u.Name == name }) {
			out = append(out, t.Name())
		}
	}
	return out
}
