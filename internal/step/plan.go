package step

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/pmezard/go-difflib/difflib"
)

// Sections of a plan, in the order Print shows them.
const (
	Files = "files" // install, config
	Host  = "host"  // infra:setup
	Units = "units" // up
)

// Change is one pending change.
type Change struct {
	Section string // Files, Host or Units
	Action  string // create, update, remove, enable, restart, start
	Target  string
	Detail  string // e.g. a unified diff
}

// Plan is a set of pending changes whose details never show a secret.
type Plan struct {
	// Secrets are masked in every detail added.
	Secrets []string
	Changes []Change
}

// Add records changes, masking the secrets in their details.
func (p *Plan) Add(cs ...Change) {
	for _, c := range cs {
		c.Detail = Mask(c.Detail, p.Secrets)
		p.Changes = append(p.Changes, c)
	}
}

// Empty reports whether nothing would change.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

func sectionTitle(section string) string {
	switch section {
	case Files:
		return "Files (install, config)"
	case Host:
		return "Host (infra:setup)"
	case Units:
		return "Units (up): restarts, then starts by layer"
	}
	return section
}

func symbol(action string) string {
	switch action {
	case "create":
		return "+"
	case "update":
		return "~"
	case "start":
		return "▶"
	case "restart":
		return "↻"
	case "enable":
		return "●"
	case "remove":
		return "-"
	}
	return ""
}

// Print writes the plan for a human.
func (p *Plan) Print(w io.Writer) {
	if p.Empty() {
		fmt.Fprintln(w, "plan: no changes; install, infra:setup and up would change nothing")
		return
	}
	for _, section := range []string{Files, Host, Units} {
		first := true
		for _, c := range p.Changes {
			if c.Section != section {
				continue
			}
			if first {
				fmt.Fprintf(w, "%s:\n", sectionTitle(section))
				first = false
			}
			fmt.Fprintf(w, "  %s %s %s\n", symbol(c.Action), c.Action, c.Target)
			if c.Detail != "" {
				for line := range strings.SplitSeq(strings.TrimRight(c.Detail, "\n"), "\n") {
					fmt.Fprintf(w, "      %s\n", line)
				}
			}
		}
	}
	fmt.Fprintf(w, "plan: %d change(s) pending\n", len(p.Changes))
}

// Diff is a unified diff of two texts, or a one-line note for binary data.
func Diff(name string, old, new []byte) string {
	if !utf8.Valid(old) || !utf8.Valid(new) || bytes.IndexByte(old, 0) >= 0 || bytes.IndexByte(new, 0) >= 0 {
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

// MinMasked is the shortest secret Mask substitutes. A shorter one would
// match inside unrelated text (DB_PASSWORD=1 in 172.31.0.0/25), garbling
// it and showing where the secret's characters are; such a secret shows
// only in secrets.env's diff, as a changed value (MaskEnvFile).
const MinMasked = 4

// Mask replaces every whole occurrence of a secret value in text with
// ********: one not run together with letters or digits on either side
// (s3cret in pw=s3cret or user:s3cret@host, not in s3cretary). Longer
// values go first, so a secret containing another is masked whole.
func Mask(text string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortStableFunc(sorted, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, s := range sorted {
		if len(s) < MinMasked {
			continue
		}
		var b strings.Builder
		rest := text
		for {
			i := strings.Index(rest, s)
			if i < 0 {
				break
			}
			j := i + len(s)
			before, after := len(text)-len(rest)+i, len(text)-len(rest)+j
			if whole(text, before, after) {
				b.WriteString(rest[:i] + "********")
			} else {
				b.WriteString(rest[:j])
			}
			rest = rest[j:]
		}
		b.WriteString(rest)
		text = b.String()
	}
	return text
}

// whole reports whether text[i:j] stands apart: no word character joins
// it on either side where its own edge is a word character.
func whole(text string, i, j int) bool {
	return (i == 0 || !word(text[i-1]) || !word(text[i])) && (j == len(text) || !word(text[j]) || !word(text[j-1]))
}

func word(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// MaskEnvFile masks every value of a KEY=VALUE file. A value that differs
// from the one in old is marked, so a changed secret shows as a change
// without showing either value.
func MaskEnvFile(content, old []byte) []byte {
	prev := map[string]string{}
	for line := range strings.SplitSeq(string(old), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			prev[k] = v
		}
	}
	var out []string
	for line := range strings.SplitSeq(string(content), "\n") {
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
