package entrypoint

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// TestRunPlainStripsColour: what a Plain process prints reaches the
// container's output without terminal colour codes, whatever the chunks it
// arrives in, its last line (no newline) too.
func TestRunPlainStripsColour(t *testing.T) {
	var out bytes.Buffer
	cs := &colourStripper{w: &out}
	for _, chunk := range []string{"2026 INFO heat [-] 72 -> 73... \x1b[00m\n\x1b[01;31mERR", "OR\x1b[00m\nlast \x1b[0", "0m"} {
		if _, err := cs.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	cs.flush()
	if want := "2026 INFO heat [-] 72 -> 73... \nERROR\nlast "; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// testSupervisor is a Supervisor fed signals by the test: signals sent to
// the test binary itself would reach `go test` too.
func testSupervisor(t *testing.T, stopTimeout time.Duration) (*Supervisor, chan<- os.Signal) {
	signals := make(chan os.Signal)
	t.Cleanup(func() { close(signals) })
	return newSupervisor(signals, stopTimeout, func(string, ...any) {}, false), signals
}
