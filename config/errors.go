package config

import (
	"fmt"
	"strings"
)

// Error is one problem with one key, located in its file.
type Error struct {
	File string
	Line int // 0 when the key was not in the file (a default was used)
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// ValidationError lists every problem found, so an operator fixes a file in
// one pass rather than one error per run.
type ValidationError []*Error

func (v ValidationError) Error() string {
	lines := make([]string, len(v))
	for i, e := range v {
		lines[i] = e.Error()
	}
	return fmt.Sprintf("invalid configuration (%d problem(s)):\n  %s", len(v), strings.Join(lines, "\n  "))
}
