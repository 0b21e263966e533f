package config

import (
	"fmt"
	"regexp"
)

// placeholder matches __KEY__, where KEY is words joined by single
// underscores (so "__A__B__" is two placeholders, not one).
var placeholder = regexp.MustCompile(`__([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)__`)

// Expand replaces every __KEY__ in s with KEY's value. It returns an error
// naming the first placeholder that is not a key of the schema.
func (c *Config) Expand(s string) (string, error) {
	var unknown string
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		key := placeholder.FindStringSubmatch(m)[1]
		v, ok := c.values[key]
		if !ok {
			if unknown == "" {
				unknown = key
			}
			return m
		}
		return v
	})
	if unknown != "" {
		msg := fmt.Sprintf("unknown placeholder __%s__", unknown)
		if s := closest(unknown, c.schema); s != "" {
			msg += fmt.Sprintf(" (did you mean __%s__?)", s)
		}
		return "", fmt.Errorf("%s", msg)
	}
	return out, nil
}

// Placeholders returns the keys referenced as __KEY__ in s, in order.
func Placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
