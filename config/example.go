package config

import (
	"fmt"
	"strings"
)

// Example renders the .env.example for schema: every key with its default,
// grouped and documented, optional keys commented out. Loading it yields the
// built-in defaults, so the file in the repository and the defaults used
// without a .env are the same text.
func Example(s Schema) []byte {
	var b strings.Builder
	b.WriteString("# hotstack-os configuration. Copy to .env and edit; `mage install` bakes it into the units.\n")
	b.WriteString("# Generated from config/schema.go and stack/ by `go test ./stack -update`; do not edit by hand.\n")
	group := ""
	for _, k := range s {
		if k.Group != group {
			group = k.Group
			fmt.Fprintf(&b, "\n# --- %s ---\n", group)
		}
		fmt.Fprintf(&b, "# %s\n", k.Doc)
		if k.Optional {
			fmt.Fprintf(&b, "# %s=%s\n", k.Name, k.Default)
		} else {
			fmt.Fprintf(&b, "%s=%s\n", k.Name, k.Default)
		}
	}
	return []byte(b.String())
}
