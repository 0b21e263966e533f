// Package plan computes what install, infra:setup and up would change,
// without changing anything, and renders it for the operator.
package plan

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/pmezard/go-difflib/difflib"
)

// Change is one pending change.
type Change struct {
	Section string // "files", "host", "units"
	Action  string // create, update, start
	Target  string
	Detail  string // e.g. a unified diff, already masked
}

// Plan is the set of pending changes.
type Plan struct{ Changes []Change }

// Add records a change.
func (p *Plan) Add(c Change) { p.Changes = append(p.Changes, c) }

// Empty reports whether nothing would change.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

var sectionTitles = []struct{ key, title string }{
	{"files", "Files (install, config)"},
	{"host", "Host (infra:setup)"},
	{"units", "Units to start (up), by layer"},
}

// Print writes the plan for a human.
func (p *Plan) Print(w io.Writer) {
	if p.Empty() {
		fmt.Fprintln(w, "plan: no changes; install, infra:setup and up would change nothing")
		return
	}
	for _, s := range sectionTitles {
		first := true
		for _, c := range p.Changes {
			if c.Section != s.key {
				continue
			}
			if first {
				fmt.Fprintf(w, "%s:\n", s.title)
				first = false
			}
			sym := map[string]string{"create": "+", "update": "~", "start": "▶", "remove": "-"}[c.Action]
			fmt.Fprintf(w, "  %s %s %s\n", sym, c.Action, c.Target)
			if c.Detail != "" {
				for _, line := range strings.Split(strings.TrimRight(c.Detail, "\n"), "\n") {
					fmt.Fprintf(w, "      %s\n", line)
				}
			}
		}
	}
	fmt.Fprintf(w, "plan: %d change(s) pending\n", len(p.Changes))
}

// Diff is a unified diff of two texts, or a one-line note for binary data.
func Diff(name string, old, new []byte) string {
	if !utf8.Valid(old) || !utf8.Valid(new) || containsNUL(old) || containsNUL(new) {
		return fmt.Sprintf("binary content differs (%d -> %d bytes)", len(old), len(new))
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(old)), B: difflib.SplitLines(string(new)),
		FromFile: "a" + name, ToFile: "b" + name, Context: 2,
	})
	if err != nil {
		return err.Error()
	}
	return text
}

func containsNUL(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	return false
}

// Mask replaces every secret value in text with ********. Longer values go
// first, so a secret containing another is masked whole.
func Mask(text string, secrets []string) string {
	sorted := append([]string(nil), secrets...)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			if len(sorted[j]) > len(sorted[i]) {
				sorted[i], sorted[j] = sorted[j], sorted[i]
			}
		}
	}
	for _, s := range sorted {
		if s != "" {
			text = strings.ReplaceAll(text, s, "********")
		}
	}
	return text
}

// MaskEnvFile masks every value of a KEY=VALUE file. A value that differs
// from the one in old is marked, so a changed secret shows as a change
// without showing either value.
func MaskEnvFile(content, old []byte) []byte {
	prev := map[string]string{}
	for _, line := range strings.Split(string(old), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			prev[k] = v
		}
	}
	var out []string
	for _, line := range strings.Split(string(content), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") {
			out = append(out, line)
			continue
		}
		masked := k + "=********"
		if p, seen := prev[k]; seen && p != v {
			masked += " (value changed)"
		}
		out = append(out, masked)
	}
	return []byte(strings.Join(out, "\n"))
}
