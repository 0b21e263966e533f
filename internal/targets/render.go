package targets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Width is the widest line `mage -h` prints, a tab counted as 8 columns:
// what a terminal shows without wrapping.
const Width = 100

// proseWidth keeps each paragraph line, and its "// " in magefile.go,
// within Width.
const proseWidth = Width - 4

// tab is how a terminal shows the tab that starts every line of a doc
// comment's code block (gofmt's indent for one).
const tab = 8

// Comment is t's doc comment in magefile.go without the comment markers:
// what `mage -h` prints (the magefile is //mage:multiline, so mage keeps
// the line breaks). The lists are Go doc code blocks, which gofmt keeps as
// they are and a terminal shows indented by a tab.
func Comment(t Target) string {
	var b strings.Builder
	b.WriteString(wrap(t.method()+" "+plain(t.Summary), proseWidth))
	for _, p := range t.About {
		b.WriteString("\n\n" + wrap(plain(p), proseWidth))
	}
	if len(t.Switches) > 0 {
		b.WriteString("\n\nSwitches:\n\n" + t.switchBlock())
	}
	b.WriteString("\n\nExit status:\n\n" + t.exitBlock())
	b.WriteString("\n\nExample:\n\n\t" + t.Example)
	return b.String()
}

// DocComment is Comment as the comment lines of Go source.
func DocComment(t Target) string {
	lines := strings.Split(Comment(t), "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = "//"
		} else if strings.HasPrefix(l, "\t") {
			lines[i] = "//" + l
		} else {
			lines[i] = "// " + l
		}
	}
	return strings.Join(lines, "\n")
}

// switchBlock lists t's switches as a code block: NAME=VALUE, then what it
// does, wrapped under its own column.
func (t Target) switchBlock() string {
	names := make([]string, len(t.Switches))
	for i, s := range t.switches() {
		names[i] = s.setting()
	}
	col := 0
	for _, n := range names {
		col = max(col, len(n)+2)
	}
	var lines []string
	for i, u := range t.Switches {
		lines = append(lines, hanging(names[i], col, plain(u.doc())))
	}
	return strings.Join(lines, "\n")
}

// exitBlock lists t's exit statuses as a code block.
func (t Target) exitBlock() string {
	var lines []string
	for _, e := range t.Exits {
		lines = append(lines, hanging(strconv.Itoa(e.Code), 5, plain(e.Meaning)))
	}
	return strings.Join(lines, "\n")
}

// hanging is a code-block entry: label padded to col, then text wrapped
// under col, each line starting with the block's tab.
func hanging(label string, col int, text string) string {
	pad := strings.Repeat(" ", col)
	body := strings.Split(wrap(text, Width-tab-col), "\n")
	for i := range body {
		if i == 0 {
			body[i] = "\t" + label + pad[len(label):] + body[i]
		} else {
			body[i] = "\t" + pad + body[i]
		}
	}
	return strings.Join(body, "\n")
}

// plain is Markdown text as a terminal shows it best: without the
// backticks of its code spans. The data is Markdown for the README.
func plain(text string) string { return strings.ReplaceAll(text, "`", "") }

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// ReadmeTargets is the README's table of targets: what each does, the
// switches it takes and its exit statuses (`mage -h TARGET` says what
// each means).
func ReadmeTargets() string {
	var b strings.Builder
	b.WriteString("| target | what it does | switches | exit status |\n| --- | --- | --- | --- |\n")
	for _, t := range All {
		name := t.Name()
		if t.Arg != "" {
			name += " " + t.Arg
		}
		what := strings.Join(append([]string{t.Summary}, t.About...), " ")
		var switches, codes []string
		for _, s := range t.switches() {
			switches = append(switches, "`"+s.setting()+"`")
		}
		for _, e := range t.Exits {
			codes = append(codes, strconv.Itoa(e.Code))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", name, cell(what), strings.Join(switches, ", "), strings.Join(codes, ", "))
	}
	return b.String()
}

// ReadmeSwitches is the README's table of switches: what each does and
// the targets it changes.
func ReadmeSwitches() string {
	var b strings.Builder
	b.WriteString("| switch | what it does | targets |\n| --- | --- | --- |\n")
	for _, s := range Switches {
		var used []string
		for _, name := range UsedBy(s.Name) {
			used = append(used, "`"+name+"`")
		}
		if slices.Equal(UsedBy(s.Name), allNames()) {
			used = []string{"every target"}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.setting(), cell(s.Doc), strings.Join(used, ", "))
	}
	return b.String()
}

func allNames() []string {
	out := make([]string, len(All))
	for i, t := range All {
		out[i] = t.Name()
	}
	return out
}

// cell is text fit for a Markdown table cell.
func cell(text string) string { return strings.ReplaceAll(text, "|", `\|`) }
