package entrypoint

import (
	"strings"
)

// Ini is an oslo.config file read for the few values the entrypoint needs
// (where the database, the message bus and Keystone are). Later files and
// later lines win, as in oslo.config.
type Ini map[string]map[string]string

// ParseIni adds data's options to ini.
func (ini Ini) Parse(data string) {
	section := "DEFAULT"
	for _, raw := range strings.Split(data, "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == "", line[0] == '#', line[0] == ';':
			continue
		case line[0] == '[' && line[len(line)-1] == ']':
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == value[len(value)-1] && (value[0] == '"' || value[0] == '\'') {
			value = value[1 : len(value)-1]
		}
		if ini[section] == nil {
			ini[section] = map[string]string{}
		}
		ini[section][strings.TrimSpace(key)] = strings.ReplaceAll(value, "$$", "$")
	}
}

// Get returns section's key, or "".
func (ini Ini) Get(section, key string) string { return ini[section][key] }
