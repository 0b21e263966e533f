package main

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The helper is mounted into every container as PID 1, so it must not
// link the application: internal/app (the mage targets), internal/testrun
// (`mage test`'s runner), the image builder, install, the OpenStack
// clients (gophercloud, the smoke test's SSH), mage, nor package testing,
// which any test runner or test helper brings. Nor a MySQL client (with database/sql, and TLS
// and x509 behind it, a third of the binary): the schema stamps go through
// the images' own python3 and PyMySQL (internal/entrypoint/pymysql.go).
func TestHelperLinksOnlyWhatItsCommandsNeed(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}} {{join .Imports " "}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	const module = "github.com/hotstack-os/hotstack-os/"
	forbidden := []string{
		module + "internal/app",
		module + "internal/testrun",
		module + "internal/images",
		module + "internal/install",
		module + "internal/openstack",
		"github.com/gophercloud/gophercloud",
		"golang.org/x/crypto/ssh",
		"github.com/magefile/mage",
		"testing",
		"github.com/go-sql-driver/mysql",
		"database/sql",
	}
	// imports maps each package of the graph to what it imports.
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		imports[fields[0]] = fields[1:]
	}
	if imports[module+"internal/helper"] == nil {
		t.Fatalf("go list -deps did not list the helper's graph:\n%s", out)
	}
	pkgs := slices.Sorted(maps.Keys(imports))
	for _, f := range forbidden {
		within := func(pkg string) bool { return pkg == f || strings.HasPrefix(pkg, f+"/") }
		for _, pkg := range pkgs {
			if !within(pkg) {
				continue
			}
			// Who brings it in from outside: the import to remove.
			var through []string
			for _, importer := range pkgs {
				if !within(importer) && slices.Contains(imports[importer], pkg) {
					through = append(through, importer)
				}
			}
			t.Errorf("the helper links %s (imported by %s)", pkg, strings.Join(through, ", "))
			break // one line per forbidden package is enough to act on
		}
	}
}
