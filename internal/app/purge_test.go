package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
)

// installedWithData is a harness with the stack installed and set up, and
// 3 MiB of database in the data directory.
func installedWithData(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, secretEnv)
	h.install()
	if err := h.app.InfraSetup(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(h.o.Root, "var/lib/hotstack-os/mysql/ibdata1"), strings.Repeat("x", 3<<20))
	return h
}

// purged fails unless the data and the installed files are gone.
func purged(t *testing.T, h *harness) {
	t.Helper()
	for _, gone := range []string{"var/lib/hotstack-os", "etc/hotstack-os/manifest", "etc/systemd/system/hotstack-os.target"} {
		if _, err := os.Lstat(filepath.Join(h.o.Root, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("purge left %s (%v)", gone, err)
		}
	}
}

// TestPurgeListsWhatGoesAndNeedsConfirmation: HOTSTACK_PURGE=1 alone, with
// no terminal, deletes nothing and names the switch that confirms it; on
// a terminal, anything but yes deletes nothing; yes, or the switch,
// purges. Each time the purge first lists every data directory with its
// size.
func TestPurgeListsWhatGoesAndNeedsConfirmation(t *testing.T) {
	staging(t)
	ctx := context.Background()
	h := installedWithData(t)
	before := tree(t, h.o.Root)
	purge := func(interactive, confirmed bool, answer string) error {
		h.o.Purge, h.o.PurgeConfirmed, h.o.Interactive, h.o.Stdin = true, confirmed, interactive, strings.NewReader(answer)
		h.rebuild()
		h.logs.Reset()
		return h.app.Uninstall(ctx)
	}
	lists := func(what string) {
		t.Helper()
		for _, want := range []string{"purge will delete /var/lib/hotstack-os/mysql (3.0 MiB)", "purge will delete /var/lib/hotstack-os/nova-instances (0 B)",
			"purge will remove the ", "deleted for good"} {
			if !strings.Contains(h.logs.String(), want) {
				t.Errorf("%s: the purge did not say %q:\n%s", what, want, h.logs.String())
			}
		}
	}

	err := purge(false, false, "yes\n") // no terminal: stdin is not read
	if !errors.Is(err, errNotConfirmed) || !strings.Contains(err.Error(), "HOTSTACK_PURGE_CONFIRM=yes") || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("purge without a terminal or HOTSTACK_PURGE_CONFIRM: %v", err)
	}
	lists("no terminal")
	sameTree(t, "after an unconfirmed purge", before, tree(t, h.o.Root))

	// The first answer declines the backup offered first.
	for _, answer := range []string{"no\n", "\n", "", "yess\n"} {
		err := purge(true, false, "n\n"+answer)
		if !errors.Is(err, errNotConfirmed) || !strings.Contains(err.Error(), "HOTSTACK_PURGE_CONFIRM=yes") {
			t.Fatalf("purge answered %q: %v", answer, err)
		}
		if !strings.Contains(h.logs.String(), "Delete all of the above for good? [y/N] ") {
			t.Errorf("purge did not ask:\n%s", h.logs.String())
		}
		sameTree(t, "after the answer "+answer, before, tree(t, h.o.Root))
	}
	lists("on a terminal")

	if err := purge(true, false, "\n Yes \n"); err != nil {
		t.Fatalf("purge answered yes: %v\n%s", err, h.logs.String())
	}
	purged(t, h)
}

func TestPurgeConfirmedBySwitch(t *testing.T) {
	staging(t)
	h := installedWithData(t)
	h.o.Purge, h.o.PurgeConfirmed = true, true
	h.rebuild()
	if err := h.app.Uninstall(context.Background()); err != nil {
		t.Fatalf("purge with HOTSTACK_PURGE_CONFIRM=yes: %v\n%s", err, h.logs.String())
	}
	if !strings.Contains(h.logs.String(), "confirmed by HOTSTACK_PURGE_CONFIRM=yes") || !strings.Contains(h.logs.String(), "purge will delete /var/lib/hotstack-os/mysql (3.0 MiB)") {
		t.Errorf("the purge did not list what it deleted and why:\n%s", h.logs.String())
	}
	purged(t, h)
}

// TestPurgeAskCanBeInterrupted: Ctrl-C while purge waits for an answer
// ends the run (the signal is caught, so a blocked read would hang it).
func TestPurgeAskCanBeInterrupted(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.o.Interactive, h.o.Stdin = true, blockingReader{}
	h.rebuild()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.app.confirmPurge(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted question: %v", err)
	}
}

type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }

// novaDomainXML is a guest as nova defines it (trimmed).
const novaDomainXML = `<domain type="kvm"><name>instance-00000001</name><metadata>` +
	`<nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>vm</nova:name></nova:instance>` +
	`</metadata></domain>`

// hostWithLeftovers answers, on a host without a manifest, as one where
// the stack still runs: systemd has its units active, podman its
// containers, libvirt a running nova guest and a guest of the operator's.
func hostWithLeftovers(h *harness) func(context.Context, execx.Command) (execx.Result, error) {
	out := func(s string) (execx.Result, error) { return execx.Result{Stdout: []byte(s)}, nil }
	return func(ctx context.Context, c execx.Command) (execx.Result, error) {
		args := strings.Join(c.Args, " ")
		switch {
		case c.Name == "systemctl" && strings.HasPrefix(args, "list-units"):
			return out("hotstack-os-keystone.service loaded active running HotStack-OS Keystone\n" +
				"hotstack-os-old.service not-found active running hotstack-os-old.service\n" +
				"hotstack-os.target loaded active active HotStack-OS\n" +
				"hotstack-os-nova-api.service loaded inactive dead HotStack-OS Nova API\n")
		case c.Name == "virsh" && strings.HasSuffix(args, "list --name --all"):
			return out("instance-00000001\nmy-own-vm\n\n")
		case c.Name == "virsh" && strings.HasSuffix(args, "list --name"):
			return out("instance-00000001\nmy-own-vm\n")
		case c.Name == "virsh" && strings.HasSuffix(args, "dumpxml instance-00000001"):
			return out(novaDomainXML)
		case c.Name == "podman" && args == "ps -a --format {{.Names}}":
			return out("hotstack-os-keystone\nsomeone-else\n")
		}
		return h.podman(ctx, c)
	}
}

// TestClearHostStopsWhatRunsWithoutAManifest: with the manifest gone, the
// purge still stops every hotstack-os unit systemd runs (the target
// first), stops and undefines nova's guests before their disks go, and
// removes the containers; the operator's guest and container stay.
func TestClearHostStopsWhatRunsWithoutAManifest(t *testing.T) {
	h := newHarness(t, secretEnv)
	h.runner.Handler = hostWithLeftovers(h)
	// The unit files are gone with the manifest: systemd no longer
	// loads the target from disk.
	h.mgr.Set(stack.TargetName, "not-found", "active", "active")
	if err := h.app.clearHost(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, h.logs.String())
	}
	// What systemd listed as running, the target first, a unit of no
	// manifest too.
	if got, want := h.calls("stop"), []string{"hotstack-os.target", "hotstack-os-keystone.service", "hotstack-os-old.service"}; !slices.Equal(got, want) {
		t.Errorf("stopped %q, want %q", got, want)
	}
	calls := h.runner.Calls()
	order := []string{
		"systemctl list-units --all --plain --no-legend --full hotstack-os*",
		"virsh -c qemu:///system destroy instance-00000001",
		"virsh -c qemu:///system undefine --nvram instance-00000001",
		"podman rm -f hotstack-os-keystone",
	}
	last := -1
	for _, want := range order {
		i := slices.Index(calls, want)
		if i < last {
			t.Errorf("%q not run, or out of order, in:\n%s", want, strings.Join(calls, "\n"))
		}
		last = i
	}
	for _, c := range calls {
		if strings.Contains(c, "my-own-vm") || strings.Contains(c, "someone-else") {
			t.Errorf("touched what is not the stack's: %s", c)
		}
	}
}
