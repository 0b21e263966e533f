//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// inventory lists what hotstack-os could leave behind.
func (s *Stack) inventory(t *testing.T) map[string]string {
	t.Helper()
	sh := func(cmd string) string { out, _ := s.Exec("sh", "-c", cmd); return strings.TrimSpace(out) }
	return map[string]string{
		"units":      sh("ls /etc/systemd/system | grep hotstack-os; systemctl list-units --all --plain --no-legend 'hotstack-os*' | grep -v 'not-found'"),
		"files":      sh("ls -d /etc/hotstack-os /usr/local/bin/hotstack-os /var/lib/hotstack-os 2>/dev/null"),
		"bridges":    sh("ovs-vsctl list-br"),
		"networks":   sh("podman network ls --format '{{.Name}}' | grep -v '^podman$'"),
		"containers": sh("podman ps -a --format '{{.Names}}'"),
		"hosts":      sh("grep -c hotstack-os /etc/hosts"),
		"exports":    sh("grep -c hotstack-os /etc/exports"),
	}
}

func (s *Stack) checkUninstall(t *testing.T) {
	// The baseline: a fresh box of the same kind, before any install.
	fresh := Boot(t)
	before := (&Stack{Box: fresh}).inventory(t)
	fresh.Kill()

	s.MustMage(t, []string{"HOTSTACK_PURGE=1"}, "down")
	out := s.MustMage(t, []string{"HOTSTACK_PURGE=1", "HOTSTACK_PURGE_CONFIRM=yes"}, "uninstall")
	t.Logf("%s", lastLine(out))
	after := s.inventory(t)
	for k, v := range after {
		if v != before[k] {
			t.Errorf("%s left behind:\n%s\n(before install: %q)", k, v, before[k])
		}
	}
}
