package app

import (
	"context"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

func TestPositionalArg(t *testing.T) {
	cases := []struct {
		args     []string
		arg      string
		consumed bool
	}{
		{[]string{"mage", "logs", "keystone"}, "keystone", true},
		{[]string{"mage", "-v", "Logs", "nova-api"}, "nova-api", true},
		{[]string{"mage", "logs"}, "", false},
		{[]string{"mage", "logs", "-service=glance"}, "", false},
		{[]string{"mage", "status", "logs"}, "", false},
		{nil, "", false},
	}
	for _, tc := range cases {
		if arg, consumed := positionalArg(tc.args, "logs"); arg != tc.arg || consumed != tc.consumed {
			t.Errorf("%v: got %q %v", tc.args, arg, consumed)
		}
	}
}

// TestLogsPositionalServiceEndsTheProcess: `mage logs SERVICE` must exit
// before mage takes SERVICE for a target, with Logs' own status.
func TestLogsPositionalServiceEndsTheProcess(t *testing.T) {
	h := newHarness(t, "")
	h.o.Args = []string{"mage", "logs", "nova"}
	h.rebuild()
	err := LogsTarget(nil)(h.app, context.Background())
	if len(h.exits) != 1 || h.exits[0] != exitcode.Failure {
		t.Fatalf("exits %v", h.exits)
	}
	if err == nil || !strings.Contains(err.Error(), `unknown service "nova"; services: infra-setup, dnsmasq,`) ||
		!strings.Contains(h.logs.String(), "Error: unknown service") {
		t.Fatalf("err %v, stderr %s", err, h.logs.String())
	}
}
