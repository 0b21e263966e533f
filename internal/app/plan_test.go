package app

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

func TestPlanOnAStagingRoot(t *testing.T) {
	h := newHarness(t, secretEnv)
	ctx := context.Background()

	// Nothing installed: everything is to create, exit 2.
	err := h.app.Plan(ctx)
	if !errors.Is(err, exitcode.ErrChangesPending) || exitcode.Code(exitcode.Wrap(err)) != exitcode.ChangesPending {
		t.Fatalf("plan before install: %v", err)
	}
	for _, want := range []string{"Files (install, config):", "+ create " + h.o.Root + "/etc/systemd/system/hotstack-os-keystone.service",
		"Host (infra:setup):", "+ create directory " + h.o.Root + "/var/lib/hotstack-os/mysql"} {
		if !strings.Contains(h.out.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, h.out.String())
		}
	}

	// Installed and set up: nothing to do, exit 0.
	h.install()
	if err := h.app.InfraSetup(ctx); err != nil {
		t.Fatal(err)
	}
	h.out.Reset()
	if err := h.app.Plan(ctx); err != nil {
		t.Fatalf("plan after install and setup: %v\n%s", err, h.out.String())
	}
	if h.out.String() != "plan: no changes; install, infra:setup and up would change nothing\n" {
		t.Fatalf("output:\n%s", h.out.String())
	}

	// The .env changes: the diff shows, the secrets do not.
	env := strings.Replace(secretEnv, "DB_PASSWORD=Db-unique", "DB_PASSWORD=zqPlanSecretzq", 1) + "REGION_NAME=RegionTwo\n"
	if err := os.WriteFile(h.o.EnvFile, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	h.rebuild()
	h.out.Reset()
	if err := h.app.Plan(ctx); !errors.Is(err, exitcode.ErrChangesPending) {
		t.Fatalf("plan after a .env change: %v", err)
	}
	out := h.out.String()
	for _, want := range []string{"+REGION_NAME='RegionTwo'", "-REGION_NAME='RegionOne'", "(value changed)"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	for _, leak := range []string{"zqPlanSecretzq", "Db-unique", "Adm1n-unique"} {
		if strings.Contains(out, leak) {
			t.Errorf("plan shows secret %q:\n%s", leak, out)
		}
	}
	if calls := h.mgr.Calls(); len(calls) != 0 {
		t.Fatalf("plan on a staging root contacted systemd: %v", calls)
	}
}
