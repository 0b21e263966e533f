package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/images"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
)

func TestStatusOfAHealthyStack(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install() // status of an installed stack
	h.setAll(true)
	if err := h.app.Status(context.Background()); err != nil {
		t.Fatalf("status: %v", err)
	}
	out := h.out.String()
	if !strings.HasPrefix(out, "LAYER  SERVICE") || strings.Count(out, "active/running") != 23 || strings.Count(out, "healthy") != 23 {
		t.Fatalf("table:\n%s", out)
	}
}

func TestStatusJSONAndExitCode(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install() // status of an installed stack
	h.o.JSONOutput = true
	h.rebuild()
	h.setAll(true)
	h.mgr.Set(stack.UnitName("mariadb"), "loaded", "failed", "failed")
	h.unhealthy[stack.ContainerName("keystone")] = true
	err := h.app.Status(context.Background())
	if exitcode.Code(err) != exitcode.Failure || err.Error() != "status: 2 of 23 services not active and healthy" {
		t.Fatalf("status: %v", err)
	}
	var rows []ServiceStatus
	if err := json.Unmarshal([]byte(h.out.String()), &rows); err != nil {
		t.Fatalf("%v:\n%s", err, h.out.String())
	}
	if len(rows) != 23 || rows[0].Service != stack.InfraName {
		t.Fatalf("%d rows, first %+v", len(rows), rows[0])
	}
	byName := map[string]ServiceStatus{}
	for _, r := range rows {
		byName[r.Service] = r
	}
	if r := byName["mariadb"]; r.Healthy || r.State != "failed/failed" || r.Health != "-" {
		t.Errorf("mariadb: %+v", r)
	}
	if r := byName["keystone"]; r.Healthy || r.State != "active/running" || r.Health != "connection refused" || r.Layer != 3 {
		t.Errorf("keystone: %+v", r)
	}
	if r := byName["glance"]; !r.Healthy || r.Health != "healthy" || r.Unit != "hotstack-os-glance.service" {
		t.Errorf("glance: %+v", r)
	}
}

// TestStatusShowsARetryingService: a service systemd keeps restarting
// shows as retrying, with its restarts, how its last run ended, and the
// last line it logged.
func TestStatusShowsARetryingService(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install() // status of an installed stack
	h.setAll(true)
	unit := stack.UnitName("keystone")
	h.mgr.Units[unit] = systemd.UnitState{Name: unit, Load: "loaded", Active: "activating", Sub: "auto-restart",
		Restarts: 7, Result: "exit-code", LastExit: "exited 1", MainPID: 4242}
	h.mgr.Units[stack.UnitName("nova-api")] = systemd.UnitState{Load: "loaded", Active: "inactive", Sub: "dead", Restarts: 2, Job: "restart"}
	if err := h.app.Status(context.Background()); exitcode.Code(err) != exitcode.Failure {
		t.Fatalf("status: %v", err)
	}
	out := h.out.String()
	for _, want := range []string{
		"activating/auto-restart  retrying every 10s; last run exited 1 (exit-code)",
		"keystone: journal of _PID=4242: line 1",
		"nova-api          inactive/dead            retrying every 10s, queued behind its dependencies",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	h.o.JSONOutput = true
	h.rebuild()
	h.out.Reset()
	_ = h.app.Status(context.Background())
	var rows []ServiceStatus
	if err := json.Unmarshal([]byte(h.out.String()), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Service == "keystone" && (!r.Retrying || r.Restart != 7 || r.Result != "exit-code" || r.LastExit != "exited 1" || r.LastLog == "") {
			t.Errorf("keystone: %+v", r)
		}
		if r.Service != "keystone" && r.Service != "nova-api" && (r.Retrying || r.LastLog != "") {
			t.Errorf("%s: %+v", r.Service, r)
		}
	}
}

// TestStatusSaysWhichImagesHaveUpdates: status reads the record the last
// `mage images` check left (no archive asked) and warns of the images
// with updates pending, with how many packages; JSON output stays the
// rows alone.
func TestStatusSaysWhichImagesHaveUpdates(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install() // status of an installed stack
	h.setAll(true)
	rec := images.UpdateRecord{Checked: time.Now().Add(-3 * time.Hour), Images: images.Updates{
		"localhost/hotstack-os-nova:2025.1":   {"libssl3", "openssl", "python3-nova"},
		"localhost/hotstack-os-base:2025.1":   {"libssl3", "openssl"},
		"localhost/hotstack-os-heat:2025.1":   {},
		"localhost/hotstack-os-ovn:2025.1":    {},
		"localhost/hotstack-os_glance:2025.1": {},
	}}
	if err := rec.Save(images.UpdateRecordFile(h.o.ImageCache)); err != nil {
		t.Fatal(err)
	}
	h.o.JSONOutput = true
	h.rebuild()
	if err := h.app.Status(context.Background()); err != nil {
		t.Fatalf("status: %v", err)
	}
	want := "images: package updates pending in 2 of 5 images (hotstack-os-base 2, hotstack-os-nova 3), as `mage images` found 3h ago; `mage images` rebuilds them, `mage up` then restarts their services"
	if !strings.Contains(h.logs.String(), want) {
		t.Errorf("status logs lack %q:\n%s", want, h.logs.String())
	}
	var rows []ServiceStatus
	if err := json.Unmarshal([]byte(h.out.String()), &rows); err != nil || len(rows) != 23 {
		t.Errorf("JSON output is not the rows alone (%v):\n%s", err, h.out.String())
	}
	for _, r := range h.runner.Calls() {
		if strings.Contains(r, "apt-get") {
			t.Errorf("status asked apt: %s", r)
		}
	}
}

func TestImageUpdatesNote(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	path := images.UpdateRecordFile(t.TempDir())
	if got := imageUpdatesNote(path, now); !strings.Contains(got, "never checked for package updates") {
		t.Errorf("no record: %q", got)
	}
	current := images.Updates{"localhost/hotstack-os-nova:2025.1": {}}
	for checked, want := range map[time.Time]string{
		now.Add(-40 * time.Minute):     "",
		now.Add(-9 * 24 * time.Hour):   "images: last checked for package updates 9d ago; `mage images` checks again",
		now.Add(-6*24*time.Hour - 1e9): "",
	} {
		if err := (images.UpdateRecord{Checked: checked, Images: current}).Save(path); err != nil {
			t.Fatal(err)
		}
		if got := imageUpdatesNote(path, now); got != want {
			t.Errorf("checked %s before, none pending: %q, want %q", now.Sub(checked), got, want)
		}
	}
}
