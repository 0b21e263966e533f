package targets

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/settings"
	"github.com/hotstack-os/hotstack-os/internal/testrun"
	"github.com/hotstack-os/hotstack-os/stack"
)

// notSwitches are HOTSTACK_* names in the code that no user sets.
var notSwitches = map[string]string{
	"HOTSTACK_TESTNS":    "internal/testns marks the test process it re-executes in a namespace",
	"HOTSTACK_GUEST_EOF": "internal/guest's here-document delimiter",
}

var switchName = regexp.MustCompile(`^HOTSTACK_[A-Z0-9_]+$`)

// switchesRead are the HOTSTACK_* variables the code reads: those
// settings and the test runner (internal/testrun) ask for, and every
// string literal of the non-test Go files that is such a name, but for
// the .env's keys (which the configuration table documents) and
// notSwitches. A switch read anywhere else, however it is read, is named
// by such a literal.
func switchesRead(t *testing.T) map[string]string {
	t.Helper()
	read := map[string]string{}
	if _, err := settings.Parse(func(key string) string {
		read[key] = "internal/settings"
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := testrun.ParseSwitches(func(key string) string {
		read[key] = "internal/testrun"
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	envKeys := map[string]bool{}
	for _, k := range st.Schema() {
		envKeys[k.Name] = true
	}
	root := filepath.Join("..", "..")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && switchName.MatchString(s) && !envKeys[s] && notSwitches[s] == "" {
				if _, ok := read[s]; !ok {
					read[s] = path
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return read
}

// TestEverySwitchReadIsDocumented: a switch the code reads is in the help
// of a target (TestEverySwitchChangesATarget), and the help names no
// switch the code does not read.
func TestEverySwitchReadIsDocumented(t *testing.T) {
	read := switchesRead(t)
	if len(read) < 10 {
		t.Fatalf("found only %v: the search is broken", read)
	}
	for name, where := range read {
		if _, ok := SwitchNamed(name); !ok {
			t.Errorf("%s (read in %s) is in no target's help: add it to internal/targets' Switches and to the targets it changes", name, where)
		}
	}
	for _, s := range Switches {
		if _, ok := read[s.Name]; !ok {
			t.Errorf("%s is documented, but nothing reads it", s.Name)
		}
	}
	names := slices.Sorted(maps.Keys(read))
	t.Logf("switches read: %s", strings.Join(names, " "))
}
