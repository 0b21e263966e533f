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
	b.WriteString("# Secrets left unset are generated on the first install and kept, root-only, in\n")
	b.WriteString("# /etc/hotstack-os/generated-secrets.env; set one here to choose it yourself.\n")
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

// Reference renders the configuration reference for the README: one table
// row per key, grouped as in .env.example.
func Reference(s Schema) string {
	var b strings.Builder
	group := ""
	for _, k := range s {
		if k.Group != group {
			group = k.Group
			fmt.Fprintf(&b, "\n**%s**\n\n| key | default | checked | meaning |\n| --- | --- | --- | --- |\n", group)
		}
		def := "`" + k.Default + "`"
		switch {
		case k.Kind == Secret && k.Generated && k.Default != "":
			def += ", else generated"
		case k.Kind == Secret && k.Generated:
			def = "generated"
		case k.Kind == Secret && k.Default == "":
			def = "unset"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.Name, def, kindText(k), k.Doc)
	}
	return b.String()
}

func kindText(k Key) string {
	switch k.Kind {
	case Secret:
		if k.Generated {
			return "secret; not a published password; unset: generated once and kept"
		}
		return "secret; not a published password"
	case HostIP:
		return "IPv4 address"
	case ServiceIP:
		return "IPv4, in CONTAINER_NETWORK, unique"
	case Network:
		return "IPv4 CIDR"
	case Path:
		return "absolute path: letters, digits, / . _ - + @; not a system or home directory"
	case Int:
		return fmt.Sprintf("integer %d..%d", k.Min, k.Max)
	case Bool:
		return "true/false"
	case Image:
		return "image reference (distribution grammar)"
	case Enum:
		return strings.Join(k.Choices, " or ")
	}
	return "non-empty text"
}
