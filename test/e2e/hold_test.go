//go:build e2e

package e2e

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestHold is a developer's aid, not a tier: with HOTSTACK_E2E_HOLD=FILE
// it boots a real-cloud box, installs and runs `up` (failures are logged,
// not fatal), writes the box's PID 1 (as the host sees it) to FILE and
// keeps the box until FILE is removed or three hours have passed
// (HOTSTACK_E2E_HOLD_ENV: a file of .env lines to add). Enter it with
// `nsenter -t $(cat FILE) -m -p -n sh`.
func TestHold(t *testing.T) {
	file := os.Getenv("HOTSTACK_E2E_HOLD")
	if file == "" {
		t.Skip("HOTSTACK_E2E_HOLD is not set")
	}
	b := BootWith(t, BootOptions{HostImages: true, Libvirt: true})
	c := &Stack{Box: b, MageBin: compileMage(t), EnvFile: "/etc/hotstack-os-e2e.env"}
	env := baseEnv
	// HOTSTACK_E2E_HOLD_ENV names a file of .env lines to add.
	if extra := os.Getenv("HOTSTACK_E2E_HOLD_ENV"); extra != "" {
		data, err := os.ReadFile(extra)
		if err != nil {
			t.Fatal(err)
		}
		env += string(data)
	}
	c.WriteFile(t, c.EnvFile, env, 0o600)
	if err := os.WriteFile(file, []byte(strconv.Itoa(b.pid)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("HOTSTACK_E2E_HOLD_UP") != "0" {
		out, took, err := c.Mage(nil, "up")
		t.Logf("mage up (%s, %v):\n%s", took.Round(time.Second), err, tail(out, 40))
	}
	deadline := time.Now().Add(3 * time.Hour)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(file); err != nil {
			return
		}
		time.Sleep(2 * time.Second)
	}
}
