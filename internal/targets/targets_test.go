package targets

import (
	"go/doc"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

// columns is how wide line shows in a terminal, a tab reaching the next
// multiple of 8.
func columns(line string) int {
	n := 0
	for _, r := range line {
		if r == '\t' {
			n += tab - n%tab
		} else {
			n++
		}
	}
	return n
}

// listWidth is how far `mage -l` indents a summary: two spaces, the
// longest name, four spaces (mage's tabwriter).
func listWidth() int {
	longest := 0
	for _, t := range All {
		longest = max(longest, len(t.Name()))
	}
	return 2 + longest + 4
}

func TestHelpFitsATerminal(t *testing.T) {
	for _, tgt := range All {
		for _, line := range strings.Split(Comment(tgt), "\n") {
			if columns(line) > Width {
				t.Errorf("%s: %d columns, more than %d: %q", tgt.Name(), columns(line), Width, line)
			}
		}
		if n := listWidth() + len(plain(tgt.Summary)); n > Width {
			t.Errorf("%s: mage -l shows its summary in %d columns, more than %d: %q", tgt.Name(), n, Width, tgt.Summary)
		}
	}
}

// TestSummaryIsWhatMageLists: mage -l shows the comment's first sentence,
// so the summary must be exactly one.
func TestSummaryIsWhatMageLists(t *testing.T) {
	for _, tgt := range All {
		if !strings.HasSuffix(tgt.Summary, ".") || strings.Contains(tgt.Summary, "\n") {
			t.Errorf("%s: the summary is not one sentence ending in a period: %q", tgt.Name(), tgt.Summary)
		}
		want := tgt.method() + " " + plain(tgt.Summary)
		if got := new(doc.Package).Synopsis(Comment(tgt)); got != want {
			t.Errorf("%s: mage -l would show %q, not the summary %q", tgt.Name(), got, want)
		}
	}
}

func TestEveryTargetSaysItsSwitchesExitsAndExample(t *testing.T) {
	known := []int{exitcode.OK, exitcode.Failure, exitcode.ChangesPending, exitcode.Usage, exitcode.Interrupted}
	names := map[string]bool{}
	for _, tgt := range All {
		name := tgt.Name()
		if names[name] {
			t.Errorf("%s: two entries", name)
		}
		names[name] = true
		seen := map[string]bool{}
		for _, u := range tgt.Switches {
			if _, ok := SwitchNamed(u.Name); !ok {
				t.Errorf("%s: switch %s is not in Switches", name, u.Name)
			}
			if seen[u.Name] {
				t.Errorf("%s: switch %s twice", name, u.Name)
			}
			seen[u.Name] = true
		}
		// Every run logs and may fail, and a failure is printed as the
		// log format says.
		if !seen[logFormat.Name] {
			t.Errorf("%s: no %s", name, logFormat.Name)
		}
		var codes []int
		for _, e := range tgt.Exits {
			if !slices.Contains(known, e.Code) {
				t.Errorf("%s: exit status %d is none of internal/exitcode's", name, e.Code)
			}
			if e.Meaning == "" {
				t.Errorf("%s: exit status %d means nothing", name, e.Code)
			}
			codes = append(codes, e.Code)
		}
		if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) {
			t.Errorf("%s: exit statuses %v, want each once, in order", name, codes)
		}
		if !slices.Contains(codes, exitcode.OK) || !slices.Contains(codes, exitcode.Failure) {
			t.Errorf("%s: exit statuses %v lack 0 or 1", name, codes)
		}
		// Only plan reports pending changes; no target parses a command
		// line of its own (mage does, and exits 2 on a wrong one).
		if slices.Contains(codes, exitcode.ChangesPending) != (name == "plan") || slices.Contains(codes, exitcode.Usage) {
			t.Errorf("%s: exit statuses %v", name, codes)
		}
		if !strings.Contains(tgt.Example, "mage "+name) {
			t.Errorf("%s: the example %q does not run it", name, tgt.Example)
		}
		if strings.Contains(tgt.Example, "\n") || columns("\t"+tgt.Example) > Width {
			t.Errorf("%s: the example is not one terminal line: %q", name, tgt.Example)
		}
	}
}

func TestEverySwitchChangesATarget(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Switches {
		if seen[s.Name] {
			t.Errorf("%s: twice in Switches", s.Name)
		}
		seen[s.Name] = true
		if len(UsedBy(s.Name)) == 0 {
			t.Errorf("%s changes no target's help", s.Name)
		}
		if s.Value == "" || s.Doc == "" {
			t.Errorf("%s: no value or doc", s.Name)
		}
	}
}

func TestSwitchBlockHangsUnderItsColumn(t *testing.T) {
	tgt := Target{Func: "X", Summary: "does.", Exits: []Exit{ok("fine")}, Example: "mage x",
		Switches: []Use{{Name: "HOTSTACK_ENV"}, {Name: "HOTSTACK_PURGE", Doc: strings.Repeat("word ", 30)}}}
	got := tgt.switchBlock()
	lines := strings.Split(got, "\n")
	col := len("HOTSTACK_ENV=FILE") + 2
	if !strings.HasPrefix(lines[0], "\tHOTSTACK_ENV=FILE  read") {
		t.Errorf("first line %q", lines[0])
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "\t"+strings.Repeat(" ", col)) && !strings.HasPrefix(l, "\tHOTSTACK_PURGE=1 ") {
			t.Errorf("line %q is not under column %d", l, col)
		}
		if columns(l) > Width {
			t.Errorf("line %q is wider than %d", l, Width)
		}
	}
}
