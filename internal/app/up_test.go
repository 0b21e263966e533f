package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
)

func TestUpOnHealthyStackStartsNothing(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install()
	h.setAll(true)
	if err := h.app.Up(context.Background()); err != nil {
		t.Fatalf("up: %v\n%s", err, h.logs.String())
	}
	if starts := h.calls("start"); len(starts) != 0 {
		t.Fatalf("up on a healthy stack started %v", starts)
	}
	if !strings.Contains(h.logs.String(), "up: all 23 services already healthy; nothing started") {
		t.Fatalf("logs:\n%s", h.logs.String())
	}
}

func TestUpStartsInDependencyOrder(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install()
	h.setAll(false)
	h.mgr.Set(stack.UnitName("mariadb"), "loaded", "active", "running") // already up: left alone
	if err := h.app.Up(context.Background()); err != nil {
		t.Fatalf("up: %v\n%s", err, h.logs.String())
	}
	starts := h.calls("start")
	if len(starts) != 22 || slices.Contains(starts, stack.UnitName("mariadb")) {
		t.Fatalf("started %d units (want the 22 that were down): %v", len(starts), starts)
	}
	at := map[string]int{}
	for i, u := range starts {
		at[u] = i
	}
	for _, svc := range h.o.Stack.Services() {
		i, ok := at[stack.UnitName(svc.Name)]
		for _, dep := range svc.DependsOn {
			if j, started := at[stack.UnitName(dep)]; ok && started && j > i {
				t.Errorf("%s started before its dependency %s", svc.Name, dep)
			}
		}
	}
	if !strings.Contains(h.logs.String(), "up: 23 services healthy, 22 started") {
		t.Fatalf("logs:\n%s", h.logs.String())
	}
}

func TestUpReportsAFailingServiceWithItsJournal(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install()
	h.setAll(false)
	unit := stack.UnitName("keystone")
	h.mgr.StartErr[unit] = &systemd.JobError{Unit: unit, Op: "start", Result: "failed"}
	err := h.app.Up(context.Background())
	if err == nil || ExitCode(err) != ExitFailure {
		t.Fatalf("up with a failing keystone: %v", err)
	}
	for _, want := range []string{
		"up failed: service keystone: start hotstack-os-keystone.service: job failed",
		"--- last 20 journal lines of hotstack-os-keystone.service ---\njournal of hotstack-os-keystone.service: line 1",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("report lacks %q:\n%v", want, err)
		}
	}
	for _, u := range h.calls("start") {
		if u == stack.UnitName("glance") || u == stack.UnitName("heat-api") {
			t.Errorf("%s started although keystone, its dependency, failed", u)
		}
	}
}

func TestUpRefusesStaleUnits(t *testing.T) {
	h := newHarness(t, secretEnv)
	err := h.app.Up(context.Background())
	if err == nil || !strings.Contains(err.Error(), "run `mage install`") {
		t.Fatalf("up without install: %v", err)
	}
	if calls := h.mgr.Calls(); len(calls) != 0 {
		t.Fatalf("systemd driven with stale units: %v", calls)
	}
}
