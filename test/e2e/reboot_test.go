//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/stack"
)

// TestReboot: install and up on a box that keeps its root overlay and
// image store on disk, power it off as an operator would, boot a new box
// on the same disk, and the stack comes up healthy with nothing typed:
// install enabled hotstack-os.target, and the infra unit pulls in Open
// vSwitch and the NFS server, which the box has disabled to prove it.
func TestReboot(t *testing.T) {
	disk := t.TempDir()
	first := BootWith(t, BootOptions{Persist: disk})
	s := NewStackOn(t, first, "")
	step(t, "install and up", func(t *testing.T) {
		s.mageUp(t)
		s.requireAllHealthy(t)
		for unit, want := range map[string]string{stack.TargetName: "active"} {
			if got := strings.TrimSpace(s.MustExec(t, "systemctl", "is-active", unit)); got != want {
				t.Errorf("%s is %s after up, want %s", unit, got, want)
			}
		}
		if got, _ := s.Exec("systemctl", "is-enabled", stack.TargetName); strings.TrimSpace(got) != "enabled" {
			t.Fatalf("install did not enable %s: %s", stack.TargetName, got)
		}
		// Nothing else starts them at boot now: only the infra unit's Wants=.
		// The NFS server too, which the box's packages enable: nothing
		// of the stack may start it again.
		s.MustExec(t, "systemctl", "disable", "--quiet", "openvswitch-switch.service", "nfs-server.service")
	})
	step(t, "poweroff", func(t *testing.T) {
		took := first.Poweroff(t, 3*time.Minute)
		t.Logf("the box powered off in %s", took.Round(100*time.Millisecond))
	})

	second := BootWith(t, BootOptions{Persist: disk, Untouched: true})
	r := &Stack{Box: second, MageBin: s.MageBin, EnvFile: s.EnvFile, images: s.images, tarball: s.tarball}
	step(t, "the stack comes up by itself", func(t *testing.T) {
		deadline := second.Started.Add(4 * time.Minute)
		for {
			out, _ := r.Exec("systemctl", "is-active", stack.TargetName)
			if strings.TrimSpace(out) == "active" {
				if _, _, err := r.Mage(nil, "status"); err == nil {
					break
				}
			}
			if time.Now().After(deadline) {
				status, _, _ := r.Mage(nil, "status")
				units, _ := r.Exec("systemctl", "list-units", "--all", "--no-pager", "hotstack-os*", "openvswitch*", "ovs*", "nfs*")
				t.Fatalf("not healthy %s after power-on:\n%s\n%s", time.Since(second.Started).Round(time.Second), status, units)
			}
			time.Sleep(500 * time.Millisecond)
		}
		line := fmt.Sprintf("FIGURE boot to healthy: %.1fs from power-on, nothing typed", time.Since(second.Started).Seconds())
		t.Log(line)
		fmt.Println(line)
		// Disabled, pulled in: Open vSwitch runs. The NFS server is
		// neither wanted nor started: no rpcbind or nfsd listens.
		show := r.MustExec(t, "systemctl", "show", "-p", "ActiveState", "-p", "Result", "-p", "UnitFileState", "openvswitch-switch.service")
		if !strings.Contains(show, "ActiveState=active") {
			t.Errorf("openvswitch-switch.service is not active: the infra unit did not pull it in: %s", strings.Join(strings.Fields(show), " "))
		}
		if nfs := r.MustExec(t, "systemctl", "show", "-p", "ActiveState", "nfs-server.service"); !strings.Contains(nfs, "ActiveState=inactive") {
			t.Errorf("the NFS server was started at boot: %s", strings.TrimSpace(nfs))
		}
	})
	step(t, "up after the boot starts nothing", func(t *testing.T) {
		out, took := r.mageUp(t)
		if !strings.Contains(out, "nothing started") || len(restartLines(upRestartRe, out)) > 0 {
			t.Errorf("up after a reboot did something:\n%s", out)
		}
		t.Logf("up after the reboot: %s", took.Round(time.Millisecond))
	})
	// A clean end, as for the first box.
	second.Poweroff(t, 3*time.Minute)
}
