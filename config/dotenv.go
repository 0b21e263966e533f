package config

import (
	"bytes"
	"fmt"
	"strings"
)

// MaxLine is the longest .env line accepted, in bytes: far beyond any
// password, and far below what systemd accepts on a unit line.
const MaxLine = 4096

// bom is the UTF-8 byte order mark some editors put at the start of a file.
const bom = "\ufeff"

// entry is one KEY=VALUE assignment as written in a file.
type entry struct {
	Key   string
	Value string
	Line  int
	// Literal values came in single quotes: no ${VAR} expansion.
	Literal bool
}

// parseDotenv reads KEY=VALUE lines. Blank lines and lines starting with #
// are skipped; an optional "export " prefix is allowed; a line may end in
// CRLF. A value wrapped in matching double or single quotes loses the
// quotes; nothing else is unescaped, and # inside a value is part of the
// value (passwords may hold it). A later assignment of the same key wins,
// as in a shell, with a warning naming both lines.
func parseDotenv(file string, data []byte) (entries []entry, errs []*Error, warnings []string) {
	if bytes.HasPrefix(data, []byte(bom)) {
		errs = append(errs, &Error{File: file, Line: 1, Msg: "the file starts with a UTF-8 byte order mark (BOM); save it without one"})
		data = data[len(bom):]
	}
	first := map[string]int{}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the final newline ends the last line
	}
	for i, b := range lines {
		n := i + 1
		raw := strings.TrimSuffix(string(b), "\r")
		if len(raw) > MaxLine {
			errs = append(errs, &Error{File: file, Line: n, Key: keyOf(raw[:min(len(raw), 256)]),
				Msg: fmt.Sprintf("line is %d bytes long; a line may hold at most %d bytes", len(raw), MaxLine)})
			continue
		}
		if strings.ContainsRune(raw, '\r') {
			errs = append(errs, &Error{File: file, Line: n, Key: keyOf(raw), Msg: "value holds a carriage return (CR)"})
			continue
		}
		if strings.ContainsRune(raw, 0) {
			errs = append(errs, &Error{File: file, Line: n, Key: keyOf(raw), Msg: "value holds a NUL byte"})
			continue
		}
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validKeyName(key) {
			errs = append(errs, &Error{File: file, Line: n, Msg: fmt.Sprintf("expected KEY=VALUE, got %q", raw)})
			continue
		}
		e := entry{Key: key, Line: n}
		value = strings.TrimSpace(value)
		if len(value) > 0 && (value[0] == '"' || value[0] == '\'') {
			q := value[:1]
			last := strings.LastIndex(value, q)
			switch {
			case last == 0:
				errs = append(errs, &Error{File: file, Line: n, Key: key, Msg: fmt.Sprintf("opening %s has no closing %s on the same line (values cannot span lines)", q, q)})
				continue
			case last != len(value)-1:
				errs = append(errs, &Error{File: file, Line: n, Key: key,
					Msg: fmt.Sprintf("text follows the closing quote (%q); put the whole value inside the quotes", value[last+1:])})
				continue
			}
			e.Literal = q == "'"
			value = value[1:last]
		}
		e.Value = value
		if at, seen := first[key]; seen {
			warnings = append(warnings, fmt.Sprintf("%s:%d: %s: set again (first on line %d); the value on line %d is used", file, n, key, at, n))
		} else {
			first[key] = n
		}
		entries = append(entries, e)
	}
	return entries, errs, warnings
}

func keyOf(raw string) string {
	k, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(raw), "export "), "=")
	if validKeyName(strings.TrimSpace(k)) {
		return strings.TrimSpace(k)
	}
	return ""
}

func validKeyName(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
