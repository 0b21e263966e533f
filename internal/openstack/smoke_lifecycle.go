package openstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
)

// The server-lifecycle checks: what HotStack's tools do to servers beyond
// booting them (sushy's virtual media rebuilds volume-backed servers,
// rescue, UEFI images).
const (
	checkLifecycleImages = "UEFI and rescue images (copies of the test guest)"
	checkUEFI            = "UEFI guest boots (q35 machine, OVMF firmware)"
	checkRebuild         = "volume-backed rebuild (microversion 2.93): server B boots again"
	checkRescue          = "stable-device rescue and unrescue of server B"
)

// Image properties of the copies.
var (
	uefiImageProperties   = map[string]any{"hw_firmware_type": "uefi", "hw_machine_type": "q35"}
	rescueImageProperties = map[string]any{"hw_rescue_device": "disk", "hw_rescue_bus": "virtio"}
)

// The compute API versions the lifecycle calls need: stable-device rescue
// (2.87) and the rebuild of a volume-backed server (2.93).
const (
	rescueMicroversion  = "2.87"
	rebuildMicroversion = "2.93"
)

// GuestFirmwareLine is what the test guest logs on its console about its
// firmware, "uefi" or "bios" after it (internal/guest).
const GuestFirmwareLine = "hotstack-guest: firmware "

// errLifecycleOff is the skip of every lifecycle check when the operator
// turned them off.
var errLifecycleOff = skipError{"HOTSTACK_SMOKE_LIFECYCLE=0"}

// lifecycleImages uploads two copies of the test guest: one that nova must
// boot with UEFI firmware on a q35 machine, and one that rescue boots
// from as an extra disk (stable-device rescue).
func (s *smoke) lifecycleImages(ctx context.Context) (string, error) {
	if s.o.SkipLifecycle {
		return "", errLifecycleOff
	}
	c := s.clients.image
	body, err := imagedata.Download(ctx, c, s.dp.guestImageID).Extract()
	if err != nil {
		return "", fmt.Errorf("download %s: %w", s.o.GuestImage, err)
	}
	data, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		return "", fmt.Errorf("download %s: %w", s.o.GuestImage, err)
	}
	for _, want := range []struct {
		role  string
		props map[string]any
		id    *string
	}{{"uefi", uefiImageProperties, &s.dp.uefiImage}, {"rescue", rescueImageProperties, &s.dp.rescueImage}} {
		id, err := s.uploadImage(ctx, s.name(want.role), data, want.props)
		if err != nil {
			return "", err
		}
		*want.id = id
	}
	return fmt.Sprintf("%s twice (%s): %v; %v", s.o.GuestImage, sizeMiB(int64(len(data))), uefiImageProperties, rescueImageProperties), nil
}

// uploadImage creates a private raw image with props, uploads data and
// waits until it is active.
func (s *smoke) uploadImage(ctx context.Context, name string, data []byte, props map[string]any) (string, error) {
	c := s.clients.image
	s.attempt(kindImage)
	private := images.ImageVisibilityPrivate
	strProps := map[string]string{}
	for k, v := range props {
		strProps[k] = fmt.Sprint(v)
	}
	img, err := images.Create(ctx, c, images.CreateOpts{Name: name, DiskFormat: "raw", ContainerFormat: "bare",
		Visibility: &private, Properties: strProps}).Extract()
	if err != nil {
		return "", fmt.Errorf("create image %s: %w", name, err)
	}
	s.track(resource{kind: kindImage, id: img.ID, name: name})
	if err := imagedata.Upload(ctx, c, img.ID, bytes.NewReader(data)).ExtractErr(); err != nil {
		return "", fmt.Errorf("upload image %s: %w", name, err)
	}
	return img.ID, poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		got, err := images.Get(ctx, c, img.ID).Extract()
		switch {
		case err != nil:
			return "", false, fmt.Errorf("get image %s: %w", name, err)
		case got.Status == images.ImageStatusKilled || got.Status == images.ImageStatusDeleted:
			return "", false, fmt.Errorf("image %s is %s", name, got.Status)
		}
		return "status " + string(got.Status), got.Status == images.ImageStatusActive, nil
	})
}

// uefiBoots waits for server C's console to say the guest started under
// UEFI firmware: nova gave the q35 machine OVMF, and the guest booted.
func (s *smoke) uefiBoots(ctx context.Context) (string, error) {
	if s.dp.serverC == "" {
		return "", fmt.Errorf("the data-plane stack has no server C")
	}
	start := time.Now()
	var console string
	err := poll(ctx, sshWait, 3*time.Second, func(ctx context.Context) (string, bool, error) {
		srv, err := servers.Get(ctx, s.clients.compute, s.dp.serverC).Extract()
		if err != nil {
			return "", false, err
		}
		if srv.Status == "ERROR" {
			return "", false, fmt.Errorf("server C is ERROR: %v", srv.Fault.Message)
		}
		console, err = servers.ShowConsoleOutput(ctx, s.clients.compute, s.dp.serverC, servers.ShowConsoleOutputOpts{}).Extract()
		if err != nil {
			return err.Error(), false, nil
		}
		return "status " + srv.Status + ", no firmware line on the console yet", strings.Contains(console, GuestFirmwareLine), nil
	})
	if err != nil {
		return "", err
	}
	if !strings.Contains(console, GuestFirmwareLine+"uefi") {
		return "", fmt.Errorf("the guest booted, but not with UEFI firmware: %q", lineWith(console, GuestFirmwareLine))
	}
	return fmt.Sprintf("%q on server C's console after %s", lineWith(console, GuestFirmwareLine), formatDuration(time.Since(start))), nil
}

// rebuildVolumeBacked rebuilds server B, which boots from a volume, with
// the test guest image: Cinder re-images the volume (its [nova] section
// reports back), and the guest boots again and answers SSH.
func (s *smoke) rebuildVolumeBacked(ctx context.Context) (string, error) {
	if s.o.SkipLifecycle {
		return "", errLifecycleOff
	}
	before, err := s.bootID(ctx, s.dp.fipB)
	if err != nil {
		return "", err
	}
	start := time.Now()
	c := s.computeAt(rebuildMicroversion)
	if _, err := servers.Rebuild(ctx, c, s.dp.serverB, servers.RebuildOpts{ImageRef: s.dp.guestImageID}).Extract(); err != nil {
		return "", fmt.Errorf("rebuild server B: %w", err)
	}
	if err := s.waitServer(ctx, s.dp.serverB, "ACTIVE"); err != nil {
		return "", err
	}
	if err := s.waitRebooted(ctx, s.dp.fipB, before); err != nil {
		return "", fmt.Errorf("after the rebuild: %w", err)
	}
	// The config drive is made again for the rebuilt server.
	if out, err := s.guestRun(ctx, s.dp.fipB, "cat "+GuestMetadataFile); err != nil || !strings.Contains(out, `"`+s.dp.serverB+`"`) {
		return "", fmt.Errorf("the rebuilt guest does not read its own metadata: %v %.200s", err, out)
	}
	return fmt.Sprintf("rebuilt and answering SSH with its metadata in %s", formatDuration(time.Since(start))), nil
}

// rescueAndUnrescue rescues server B from the rescue image (stable-device
// rescue: the rescue disk is added, the server's own disks stay where
// they are), sees the rescue guest boot with one more disk and answer SSH
// on the server's floating IP, unrescues it, and sees it boot with its own
// disks again and answer SSH. Server B is what sushy-emulator rescues in
// HotStack's scenarios: a volume-backed server on plain ports. Rescue and
// unrescue make the guest's tap device again without plugging its port
// again; on Open vSwitch's userspace datapath ovn-controller's container
// re-plugs it (internal/entrypoint, taps.go), and SSH proves it did.
func (s *smoke) rescueAndUnrescue(ctx context.Context) (string, error) {
	if s.o.SkipLifecycle {
		return "", errLifecycleOff
	}
	id, ip := s.dp.serverB, s.dp.fipB
	before, err := s.bootID(ctx, ip)
	if err != nil {
		return "", err
	}
	_, normal, err := s.waitConsoleBoot(ctx, id, nil)
	if err != nil {
		return "", fmt.Errorf("before the rescue: %w", err)
	}
	start := time.Now()
	c := s.computeAt(rescueMicroversion)
	if _, err := servers.Rescue(ctx, c, id, servers.RescueOpts{RescueImageRef: s.dp.rescueImage}).Extract(); err != nil {
		return "", fmt.Errorf("rescue server B: %w", err)
	}
	if err := s.waitServer(ctx, id, "RESCUE"); err != nil {
		return "", err
	}
	rescueBoot, inRescue, err := s.waitConsoleBoot(ctx, id, []string{before})
	if err != nil {
		return "", fmt.Errorf("in rescue: %w", err)
	}
	if len(inRescue) != len(normal)+1 {
		return "", fmt.Errorf("the rescue guest sees the disks %v, want the server's %v and the rescue disk", inRescue, normal)
	}
	if err := s.waitBoot(ctx, ip, rescueBoot); err != nil {
		return "", fmt.Errorf("the rescue guest over SSH: %w", err)
	}
	rescued := time.Since(start)
	if err := servers.Unrescue(ctx, c, id).ExtractErr(); err != nil {
		return "", fmt.Errorf("unrescue server B: %w", err)
	}
	if err := s.waitServer(ctx, id, "ACTIVE"); err != nil {
		return "", err
	}
	unrescued, after, err := s.waitConsoleBoot(ctx, id, []string{before, rescueBoot})
	if err != nil {
		return "", fmt.Errorf("after unrescue: %w", err)
	}
	if len(after) != len(normal) {
		return "", fmt.Errorf("after unrescue the guest sees the disks %v, want %v", after, normal)
	}
	if err := s.waitBoot(ctx, ip, unrescued); err != nil {
		return "", fmt.Errorf("after unrescue, over SSH: %w", err)
	}
	return fmt.Sprintf("rescue guest booted with disks %v and answered SSH in %s; after unrescue %v, SSH again, %s in all",
		inRescue, formatDuration(rescued), after, formatDuration(time.Since(start))), nil
}

// guestBootLine starts the test guest's console line that names its boot
// and its virtio disks: "hotstack-guest: boot <boot id> disks: vda vdb".
const guestBootLine = "hotstack-guest: boot "

// waitConsoleBoot waits until server id's console shows a boot whose ID is
// not in seen, and returns that boot's ID and its disks (the last such
// boot on the console).
func (s *smoke) waitConsoleBoot(ctx context.Context, id string, seen []string) (boot string, disks []string, err error) {
	err = poll(ctx, sshWait, 3*time.Second, func(ctx context.Context) (string, bool, error) {
		console, err := servers.ShowConsoleOutput(ctx, s.clients.compute, id, servers.ShowConsoleOutputOpts{}).Extract()
		if err != nil {
			return err.Error(), false, nil
		}
		for _, line := range strings.Split(console, "\n") {
			_, rest, ok := strings.Cut(line, guestBootLine)
			if !ok {
				continue
			}
			b, list, _ := strings.Cut(rest, " disks:")
			if b = strings.TrimSpace(b); b != "" && !slices.Contains(seen, b) {
				boot, disks = b, strings.Fields(list)
			}
		}
		return "no new boot on the console yet", boot != "", nil
	})
	return boot, disks, err
}

// computeAt is the compute client at microversion v.
func (s *smoke) computeAt(v string) *gophercloud.ServiceClient {
	c := *s.clients.compute
	c.Microversion = v
	return &c
}

// waitServer waits until server id has status want and no task: nova's
// API sets the action's task state before it answers, so a server still
// showing its old status has a task until the action is done.
func (s *smoke) waitServer(ctx context.Context, id, want string) error {
	return poll(ctx, s.o.Timeout, pollInterval, func(ctx context.Context) (string, bool, error) {
		srv, err := servers.Get(ctx, s.clients.compute, id).Extract()
		switch {
		case err != nil:
			return "", false, err
		case srv.Status == "ERROR":
			return "", false, fmt.Errorf("server %s is ERROR: %s", id, srv.Fault.Message)
		}
		task := srv.TaskState
		return fmt.Sprintf("status %s, task %q", srv.Status, task), srv.Status == want && task == "", nil
	})
}

// bootID is the guest's kernel boot ID: it changes with every boot.
func (s *smoke) bootID(ctx context.Context, ip string) (string, error) {
	out, err := s.guestRun(ctx, ip, "cat /proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("%s: read the boot ID: %w", ip, err)
	}
	return strings.TrimSpace(out), nil
}

// waitRebooted waits until the guest at ip answers SSH from a boot other
// than before and has finished booting.
func (s *smoke) waitRebooted(ctx context.Context, ip, before string) error {
	return s.waitGuestBoot(ctx, ip, func(boot string) string {
		if boot == before {
			return "still the boot before"
		}
		return ""
	})
}

// waitBoot waits until the guest at ip answers SSH from the boot want
// (its console named it) and has finished booting.
func (s *smoke) waitBoot(ctx context.Context, ip, want string) error {
	return s.waitGuestBoot(ctx, ip, func(boot string) string {
		if boot != want {
			return "answered from boot " + boot + ", not " + want
		}
		return ""
	})
}

// waitGuestBoot waits until the guest at ip answers SSH from a boot that
// wrong accepts (it returns "" for the boot wanted, else why not) and
// has finished booting.
func (s *smoke) waitGuestBoot(ctx context.Context, ip string, wrong func(bootID string) string) error {
	return poll(ctx, sshWait, 2*time.Second, func(ctx context.Context) (string, bool, error) {
		out, err := s.guestRun(ctx, ip, "cat /proc/sys/kernel/random/boot_id; grep -c 'booted ' "+GuestLogFile)
		if err != nil {
			return err.Error(), false, nil
		}
		f := strings.Fields(out)
		if len(f) < 2 {
			return "boot not finished", false, nil
		}
		if why := wrong(f[0]); why != "" {
			return why, false, nil
		}
		return "boot not finished", f[1] != "0", nil
	})
}

// lineWith is the first line of text that contains sub.
func lineWith(text, sub string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
