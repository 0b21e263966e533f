package config

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// entry is one KEY=VALUE assignment as written in a file.
type entry struct {
	Key   string
	Value string
	Line  int
	// Literal values came in single quotes: no ${VAR} expansion.
	Literal bool
}

// parseDotenv reads KEY=VALUE lines. Blank lines and lines starting with #
// are skipped; an optional "export " prefix is allowed. A value wrapped in
// matching double or single quotes loses the quotes; nothing else is
// unescaped, and # inside a value is part of the value (passwords may hold
// it). A later assignment of the same key wins, as in a shell.
func parseDotenv(file string, data []byte) ([]entry, []*Error) {
	var out []entry
	var errs []*Error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		if strings.ContainsRune(raw, '\r') {
			errs = append(errs, &Error{File: file, Line: n, Key: keyOf(raw), Msg: "value holds a carriage return (CR); save the file with Unix line endings"})
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
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			e.Literal = value[0] == '\''
			value = value[1 : len(value)-1]
		} else if len(value) > 0 && (value[0] == '"' || value[0] == '\'') {
			errs = append(errs, &Error{File: file, Line: n, Key: key, Msg: "opening quote has no closing quote on the same line (values cannot span lines)"})
			continue
		}
		e.Value = value
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &Error{File: file, Msg: err.Error()})
	}
	return out, errs
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
