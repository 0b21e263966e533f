package entrypoint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestTapGuardBringsUpATapLeftDown(t *testing.T) {
	sys := t.TempDir()
	dev := func(name, flags string, tap bool) {
		dir := filepath.Join(sys, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "flags"), []byte(flags+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if tap {
			_ = os.WriteFile(filepath.Join(dir, "tun_flags"), []byte("0x1002\n"), 0o644)
		}
	}
	dev("tapdown-01", "0x1102", true)  // down (promiscuous, not up)
	dev("tapup-02", "0x1103", true)    // up
	dev("tapveth-03", "0x1002", false) // down, but a veth (no tun_flags)
	dev("eth0", "0x1002", true)        // down, but not a guest's tap
	var upped, logged []string
	g := &tapGuard{sysNet: sys, down: map[string]int{},
		up:   func(name string) error { upped = append(upped, name); return nil },
		logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}
	g.check()
	if len(upped) != 0 {
		t.Fatalf("the first poll acted before libvirt could bring the tap up: %v", upped)
	}
	g.check()
	if !slices.Equal(upped, []string{"tapdown-01"}) || len(logged) != 1 {
		t.Fatalf("second poll brought up %v, logged %q", upped, logged)
	}
	// A device that came back up (or went away) starts its count again.
	dev("tapdown-01", "0x1103", true)
	g.check()
	dev("tapdown-01", "0x1102", true)
	g.check()
	if len(upped) != 1 {
		t.Errorf("a tap down for one poll after being up was touched: %v", upped)
	}
}
