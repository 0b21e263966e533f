package entrypoint

import (
	"fmt"
	"regexp"
	"strings"
)

// A secrets template is an oslo.config fragment rendered on the host by
// `mage config` (so its __KEY__ placeholders are already filled in) that
// still names its secrets by container variable. RenderSecrets completes it
// inside the container, where the secrets live in the environment only:
//
//	password = ${NOVA_SERVICE_PASSWORD}
//	connection = mysql+pymysql://openstack:${url:NOVA_DB_PASSWORD}@172.31.0.3/nova
//
// ${VAR} must be an option's whole value: it is written in double quotes
// (oslo.config and PyMySQL's option-file reader strip one pair), with "$"
// doubled for oslo.config (its own escape), so any byte sequence survives.
// ${url:VAR} may stand anywhere in a value and is percent-encoded, for the
// user-info part of a URL.
var secretRef = regexp.MustCompile(`\$\{(url:)?([A-Za-z_][A-Za-z0-9_]*)\}`)

// Skipped is an option left out because its variable is not set in this
// container (e.g. nova-novncproxy gets no METADATA_SECRET).
type Skipped struct {
	Line     int
	Option   string
	Variable string
}

// Syntax is the file format a secrets template completes.
type Syntax int

const (
	// Oslo is an oslo.config file: "$" starts a substitution.
	Oslo Syntax = iota
	// OptionFile is a MySQL option file as PyMySQL reads it (Python's
	// RawConfigParser, then one pair of quotes stripped): no escapes.
	OptionFile
)

// SyntaxOf tells a template's syntax by its name: *.cnf are option files.
func SyntaxOf(name string) Syntax {
	if strings.HasSuffix(name, ".cnf") {
		return OptionFile
	}
	return Oslo
}

// RenderSecrets completes tmpl with the variables lookup returns. Lines
// whose variable is unset are left out and reported in skipped; a malformed
// reference is an error naming the line.
func RenderSecrets(name, tmpl string, lookup func(string) (string, bool)) (out string, skipped []Skipped, err error) {
	syntax := SyntaxOf(name)
	dollar := func(v string) string {
		if syntax == Oslo {
			return strings.ReplaceAll(v, "$", "$$")
		}
		return v
	}
	var b strings.Builder
	for i, line := range strings.SplitAfter(tmpl, "\n") {
		n := i + 1
		if !strings.Contains(line, "${") {
			b.WriteString(line)
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(line), "[") {
			return "", nil, fmt.Errorf("%s:%d: a ${...} reference must be in an option's value", name, n)
		}
		value = strings.TrimSpace(value)
		if rest := secretRef.ReplaceAllString(value, ""); strings.Contains(rest, "${") {
			return "", nil, fmt.Errorf("%s:%d: malformed reference in %q: write ${NAME} or ${url:NAME}", name, n, value)
		}
		option := strings.TrimSpace(key)
		var missing string
		rendered := secretRef.ReplaceAllStringFunc(value, func(ref string) string {
			m := secretRef.FindStringSubmatch(ref)
			v, set := lookup(m[2])
			if !set {
				if missing == "" {
					missing = m[2]
				}
				return ""
			}
			if m[1] == "url:" {
				return percentEncode(v)
			}
			return v
		})
		if missing != "" {
			skipped = append(skipped, Skipped{Line: n, Option: option, Variable: missing})
			continue
		}
		whole := secretRef.FindStringSubmatch(value)
		switch {
		case whole != nil && whole[0] == value && whole[1] == "":
			rendered = `"` + dollar(rendered) + `"`
		case secretRef.MatchString(plainRefs(value)):
			return "", nil, fmt.Errorf("%s:%d: %s: ${NAME} must be the whole value; inside a longer value use ${url:NAME}", name, n, option)
		default:
			rendered = dollar(rendered)
		}
		if strings.ContainsAny(rendered, "\n\r") {
			return "", nil, fmt.Errorf("%s:%d: %s: the value holds a line break", name, n, option)
		}
		b.WriteString(option + " = " + rendered + "\n")
	}
	return b.String(), skipped, nil
}

// plainRefs keeps only the ${VAR} references of value (dropping the
// ${url:VAR} ones), for the whole-value check.
func plainRefs(value string) string {
	var out []string
	for _, m := range secretRef.FindAllStringSubmatch(value, -1) {
		if m[1] == "" {
			out = append(out, m[0])
		}
	}
	return strings.Join(out, " ")
}

// percentEncode escapes every byte outside RFC 3986's unreserved set, so
// the result is safe anywhere in a URL and holds no "$" for oslo.config.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
