package entrypoint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// fakeSys is a /sys/class/net of tap devices.
type fakeSys struct {
	t   *testing.T
	dir string
}

func (f fakeSys) dev(name, flags string, ifindex int, tap bool) {
	dir := filepath.Join(f.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "flags"), []byte(flags+"\n"), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "ifindex"), []byte(strconv.Itoa(ifindex)+"\n"), 0o644)
	if tap {
		_ = os.WriteFile(filepath.Join(dir, "tun_flags"), []byte("0x1002\n"), 0o644)
	}
}

func (f fakeSys) remove(name string) { _ = os.RemoveAll(filepath.Join(f.dir, name)) }

// fakeOVS is the bridge: rows by device name.
type fakeOVS struct {
	rows    map[string]string
	replugs []string
	next    int
	lookups int
}

func (o *fakeOVS) InterfaceID(_ context.Context, name string) (string, error) {
	o.lookups++
	return o.rows[name], nil
}

func (o *fakeOVS) Replug(_ context.Context, name string) error {
	o.replugs = append(o.replugs, name)
	o.next++
	o.rows[name] = fmt.Sprintf("row-replugged-%d", o.next)
	return nil
}

func newTestGuard(t *testing.T) (*tapGuard, fakeSys, *fakeOVS, *[]string, *[]string) {
	sys := fakeSys{t, t.TempDir()}
	ovs := &fakeOVS{rows: map[string]string{}}
	var upped, logged []string
	g := newTapGuard(sys.dir, ovs, func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) })
	g.up = func(name string) error { upped = append(upped, name); return nil }
	return g, sys, ovs, &upped, &logged
}

func TestTapGuardBringsUpATapLeftDown(t *testing.T) {
	g, sys, _, upped, logged := newTestGuard(t)
	ctx := context.Background()
	sys.dev("tapdown-01", "0x1102", 11, true)  // down (promiscuous, not up)
	sys.dev("tapup-02", "0x1103", 12, true)    // up
	sys.dev("tapveth-03", "0x1002", 13, false) // down, but a veth (no tun_flags)
	sys.dev("eth0", "0x1002", 14, true)        // down, but not a guest's tap
	g.check(ctx)
	if len(*upped) != 0 {
		t.Fatalf("the first poll acted before libvirt could bring the tap up: %v", *upped)
	}
	g.check(ctx)
	if !slices.Equal(*upped, []string{"tapdown-01"}) || len(*logged) != 1 {
		t.Fatalf("second poll brought up %v, logged %q", *upped, *logged)
	}
	// A device that came back up starts its count again.
	sys.dev("tapdown-01", "0x1103", 11, true)
	g.check(ctx)
	sys.dev("tapdown-01", "0x1102", 11, true)
	g.check(ctx)
	if len(*upped) != 1 {
		t.Errorf("a tap down for one poll after being up was touched: %v", *upped)
	}
}

func TestTapGuardReplugsATapMadeAgainUnderTheSameRow(t *testing.T) {
	g, sys, ovs, _, logged := newTestGuard(t)
	ctx := context.Background()
	ovs.rows["tapa"], ovs.rows["tapb"] = "row-a", "row-b"
	sys.dev("tapa", "0x1103", 20, true)
	sys.dev("tapb", "0x1103", 21, true)
	g.check(ctx)
	// Rescue: tapa vanishes and comes back with a new index, its row
	// unchanged. Hard reboot: tapb comes back with a new row (nova
	// re-plugged it).
	sys.remove("tapa")
	g.check(ctx)
	sys.dev("tapa", "0x1103", 30, true)
	sys.dev("tapb", "0x1103", 31, true)
	ovs.rows["tapb"] = "row-b2"
	g.check(ctx)
	if !slices.Equal(ovs.replugs, []string{"tapa"}) {
		t.Fatalf("re-plugged %v, want [tapa]; log %q", ovs.replugs, *logged)
	}
	// It is settled now: polls change nothing more.
	g.check(ctx)
	g.check(ctx)
	if len(ovs.replugs) != 1 {
		t.Errorf("re-plugged again: %v", ovs.replugs)
	}
	// A tap on no bridge is looked up a bounded number of times.
	sys.dev("tapother", "0x1103", 40, true)
	before := ovs.lookups
	for range 2 * maxRowLookups {
		g.check(ctx)
	}
	if n := ovs.lookups - before; n > maxRowLookups {
		t.Errorf("%d lookups for a tap on no bridge", n)
	}
	// A vanished tap is forgotten after a while.
	sys.remove("tapother")
	g.now = func() time.Time { return time.Now().Add(2 * tapForget) }
	g.check(ctx)
	if _, ok := g.taps["tapother"]; ok {
		t.Errorf("a tap gone for %s is still remembered", 2*tapForget)
	}
}
