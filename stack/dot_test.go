package stack

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const dotFile, svgFile = "../docs/stack.dot", "../docs/stack.svg"

// TestCheckedInGraphUpToDate fails when the stack changes without the
// picture in docs/ being regenerated.
func TestCheckedInGraphUpToDate(t *testing.T) {
	want := testStack(t).DOT()
	if *update {
		if err := os.WriteFile(dotFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		svg, err := exec.Command("dot", "-Tsvg", dotFile).Output()
		if err != nil {
			t.Fatalf("render SVG (apt-get install graphviz): %v", err)
		}
		if err := os.WriteFile(svgFile, svg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(dotFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/stack.dot drifted from the stack; run go test ./stack -update")
	}
}

func TestEveryEdgeAndLayer(t *testing.T) {
	dot := string(testStack(t).DOT())
	for _, want := range []string{`"mariadb" -> "keystone";`, `"ovn-northd" -> "ovn-controller";`, "cluster_layer8", `label="6. Compute"`} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s", want)
		}
	}
	if _, err := exec.LookPath("dot"); err == nil {
		cmd := exec.Command("dot", "-Tsvg")
		cmd.Stdin = strings.NewReader(dot)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("graphviz rejects the DOT: %v\n%s", err, out)
		}
	}
}
