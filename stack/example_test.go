package stack

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/hotstack-os/hotstack-os/config"
)

var update = flag.Bool("update", false, "regenerate .env.example, the README's configuration reference and docs/stack.{dot,svg}")

// TestEnvExampleUpToDate keeps the repository's .env.example identical to
// the built-in defaults (the schema rendered by config.Example).
func TestEnvExampleUpToDate(t *testing.T) {
	want := config.Example(testStack(t).Schema())
	if *update {
		if err := os.WriteFile("../.env.example", want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal(".env.example drifted from the schema; run go test ./stack -update")
	}
}
