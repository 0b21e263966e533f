package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/install"
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
	if starts, restarts := h.calls("start"), h.calls("restart"); len(starts)+len(restarts) != 0 {
		t.Fatalf("up on a healthy stack started %v, restarted %v", starts, restarts)
	}
	if !strings.Contains(h.logs.String(), "up: all 23 services already healthy; nothing started") {
		t.Fatalf("logs:\n%s", h.logs.String())
	}
	if strings.Contains(h.logs.String(), "installing") {
		t.Fatalf("up installed although nothing differs:\n%s", h.logs.String())
	}
}

func TestUpStartsInDependencyOrder(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install()
	h.setAll(false)
	h.setUp("mariadb") // already up: left alone
	if err := h.app.Up(context.Background()); err != nil {
		t.Fatalf("up: %v\n%s", err, h.logs.String())
	}
	starts := h.calls("start")
	if len(starts) != 23 || slices.Contains(starts, stack.UnitName("mariadb")) || starts[22] != stack.TargetName {
		t.Fatalf("started %d units (want the 22 that were down, then the target): %v", len(starts), starts)
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
	if !strings.Contains(h.logs.String(), "up: 23 services healthy, 22 started, 0 restarted") {
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
	if err == nil || exitcode.Code(err) != exitcode.Failure {
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
		if u == stack.UnitName("glance") || u == stack.UnitName("heat-api") || u == stack.TargetName {
			t.Errorf("%s started although keystone, its dependency, failed", u)
		}
	}
}

// TestUpInstallsWhatDiffers: up from nothing installs, then starts.
func TestUpInstallsWhatDiffers(t *testing.T) {
	h := newHarness(t, secretEnv)
	if err := h.app.Up(context.Background()); err != nil {
		t.Fatalf("up: %v\n%s", err, h.logs.String())
	}
	if !strings.Contains(h.logs.String(), "installing") || !strings.Contains(h.logs.String(), "23 started") {
		t.Fatalf("logs:\n%s", h.logs.String())
	}
	if _, err := os.Stat(h.o.Root + "/etc/systemd/system/hotstack-os-keystone.service"); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Installed(context.Background()); err != nil {
		t.Fatalf("installed after up: %v", err)
	}
}

// TestUpRestartsExactlyWhatChanged: each kind of change restarts the
// services it reaches, says why, and plan lists the same restarts first;
// a second up then changes nothing.
func TestUpRestartsExactlyWhatChanged(t *testing.T) {
	cases := []struct {
		name   string
		change func(h *harness)
		want   []string
	}{
		{"a .env key only keystone's config uses", func(h *harness) {
			h.writeEnv(secretEnv + "KEYSTONE_TOKEN_EXPIRATION=7200\n")
		}, []string{"keystone: keystone.conf changed"}},
		{"an image tag", func(h *harness) {
			h.images["localhost/hotstack-os-nova:v2"] = "sha256-v2"
			h.writeEnv(secretEnv + "NOVA_API_IMAGE=localhost/hotstack-os-nova:v2\n")
		}, []string{"nova-api: image changed"}},
		{"an image rebuilt", func(h *harness) {
			h.images["localhost/hotstack-os-heat:2025.1"] = "sha256-rebuilt"
			h.rebuild()
		}, []string{"heat-api: image changed", "heat-engine: image changed"}},
		{"the root password", func(h *harness) {
			h.writeEnv(strings.Replace(secretEnv, "R00t-unique", "R00t-changed", 1))
		}, []string{"mariadb: secrets changed"}},
		{"a value on the command lines", func(h *harness) {
			h.writeEnv(secretEnv + "RABBITMQ_DEFAULT_USER=other\n")
		}, []string{"rabbitmq: unit changed", "neutron-server: unit changed", "nova-api: unit changed", "nova-conductor: unit changed",
			"nova-scheduler: unit changed", "nova-compute: unit changed", "nova-novncproxy: unit changed", "cinder-api: unit changed",
			"cinder-scheduler: unit changed", "cinder-volume: unit changed", "heat-api: unit changed", "heat-engine: unit changed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, secretEnv)
			h.o.SkipImageCheck = false // the image IDs count
			h.rebuild()
			h.install()
			h.setAll(true)
			c.change(h)
			if planned := planRestarts(t, h); !slices.Equal(planned, c.want) {
				t.Errorf("plan restarts:\n%v\nwant:\n%v", planned, c.want)
			}
			h.logs.Reset()
			if err := h.app.Up(context.Background()); err != nil {
				t.Fatalf("up: %v\n%s", err, h.logs.String())
			}
			var restarted []string
			for _, u := range h.calls("restart") {
				restarted = append(restarted, strings.TrimSuffix(strings.TrimPrefix(u, "hotstack-os-"), ".service"))
			}
			for _, want := range c.want {
				svc, _, _ := strings.Cut(want, ": ")
				if !slices.Contains(restarted, svc) {
					t.Errorf("%s not restarted", svc)
				}
				if !strings.Contains(h.logs.String(), "restart "+want) {
					t.Errorf("up does not say %q:\n%s", want, h.logs.String())
				}
			}
			if len(restarted) != len(c.want) || len(h.calls("start")) != 0 {
				t.Errorf("restarted %v, started %v", restarted, h.calls("start"))
			}
			// Converged: the next up changes nothing.
			h.rebuild()
			h.logs.Reset()
			before := len(h.mgr.Calls())
			if err := h.app.Up(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, call := range h.mgr.Calls()[before:] {
				if strings.HasPrefix(call, "start ") || strings.HasPrefix(call, "restart ") {
					t.Errorf("second up: %s", call)
				}
			}
			if !strings.Contains(h.logs.String(), "nothing started") {
				t.Errorf("second up:\n%s", h.logs.String())
			}
		})
	}
}

// planRestarts are the restarts `mage plan` lists.
func planRestarts(t *testing.T, h *harness) []string {
	t.Helper()
	// plan covers systemd on the live system only; its units section is
	// this, on any root.
	r, err := h.app.prepare(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	changes, err := h.app.planUnits(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range changes {
		if c.Action == "restart" {
			out = append(out, c.Target)
		}
	}
	return out
}

// TestUpStartsTheTargetLast: up leaves hotstack-os.target active, so
// systemctl status tells the truth; on an active target it does nothing.
func TestUpStartsTheTargetLast(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.install()
	h.setAll(true)
	h.mgr.Set(stack.TargetName, "loaded", "inactive", "dead")
	if err := h.app.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.calls("start"); !slices.Equal(got, []string{stack.TargetName}) {
		t.Fatalf("started %v, want the target alone", got)
	}
}

func TestEnableTargetOnce(t *testing.T) {
	h := newHarness(t, secretEnv)
	ctx := context.Background()
	for range 2 {
		if err := h.app.enableTarget(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.mgr.Calls(); !slices.Equal(got, []string{"enable " + stack.TargetName, "reload"}) {
		t.Fatalf("calls %v: want one enable and one reload", got)
	}
	if strings.Count(h.logs.String(), "the stack starts at boot") != 1 {
		t.Fatalf("logs:\n%s", h.logs.String())
	}
}

// TestUpStopsOnMissingImages: an image podman lacks that no recipe builds
// stops up before anything is written or started.
func TestUpStopsOnMissingImages(t *testing.T) {
	h := newHarness(t, secretEnv+"NOVA_API_IMAGE=docker.io/example/nova:1\n")
	h.o.SkipImageCheck = false
	h.rebuild()
	err := h.app.ImagesMissing(context.Background())
	if err == nil || !strings.Contains(err.Error(), "docker.io/example/nova:1 (used by nova-api)") {
		t.Fatalf("images missing: %v", err)
	}
	err = h.app.Up(context.Background())
	if err == nil || !errors.Is(err, install.ErrImagesMissing) {
		t.Fatalf("up: %v", err)
	}
	if entries, _ := os.ReadDir(h.o.Root); len(entries) != 0 || len(h.mgr.Calls()) != 0 {
		t.Fatalf("up wrote or started despite a missing image: %v", h.mgr.Calls())
	}
}

// TestUpSaysHowToUseTheCloud: up's last words are the commands a user
// types next: the clouds.yaml entry once post-setup wrote it, else the
// whole admin login, domains included (openstackclient refuses a login
// without them).
func TestUpSaysHowToUseTheCloud(t *testing.T) {
	h := newHarness(t, secretEnv+"REGION_NAME=RegionTwo\n")
	h.app.sayHowToUse()
	out := h.out.String()
	for _, want := range []string{"go run mage.go postsetup", "OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default", "OS_REGION_NAME=RegionTwo", "KEYSTONE_ADMIN_PASSWORD"} {
		if !strings.Contains(out, want) {
			t.Errorf("without clouds.yaml, up did not say %q:\n%s", want, out)
		}
	}
	writeFile(t, filepath.Join(h.o.Root, CloudsYAML), "clouds: {}\n")
	h.out.Reset()
	h.app.sayHowToUse()
	out = h.out.String()
	for _, want := range []string{"export OS_CLOUD=hotstack-os", "openstack server list", "mage.go smoke", "/etc/hotstack-os/cloud-secret.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("with clouds.yaml, up did not say %q:\n%s", want, out)
		}
	}
}
