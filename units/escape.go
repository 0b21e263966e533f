package units

import "strings"

// execWord encodes one argument of an Exec*= line so that systemd hands it
// to the program byte-identical (systemd.syntax(7), systemd.service(5)):
//   - % starts a specifier, so it is doubled;
//   - $ starts an environment substitution, so it is doubled;
//   - a word holding whitespace, quotes, backslashes or a lone ";" is
//     wrapped in double quotes, inside which \ and " are backslash-escaped.
func execWord(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if s != "" && s != ";" && !strings.ContainsAny(s, " \t\"'\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// execLine joins argv into an Exec*= value.
func execLine(argv ...string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = execWord(a)
	}
	return strings.Join(words, " ")
}

// specifierSafe escapes % in a plain setting value (Description=, ...),
// where specifiers expand but $ does not.
func specifierSafe(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// envFileValue encodes a value for an EnvironmentFile= line: double quotes,
// inside which systemd unescapes \" \\ \` and \$ and keeps everything else.
func envFileValue(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}
