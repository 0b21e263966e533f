//go:build e2e

package e2e

import (
	"os"
	"testing"
	"time"
)

// TestDebugBox keeps an installed box alive for manual inspection:
// HOTSTACK_E2E_DEBUG=1 go test -tags e2e -run TestDebugBox ./test/e2e
// prints the nsenter command to reach it.
func TestDebugBox(t *testing.T) {
	if os.Getenv("HOTSTACK_E2E_DEBUG") != "1" {
		t.Skip("set HOTSTACK_E2E_DEBUG=1 to keep a box for manual debugging")
	}
	s := NewStack(t, "")
	_ = os.WriteFile("/tmp/hotstack-e2e-box.pid", []byte(itoa(s.pid)), 0o644)
	t.Logf("box ready: nsenter -t %d -m -p -n -- bash", s.pid)
	time.Sleep(40 * time.Minute)
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
