// Package guest is the cloud's test guest, what CirrOS is to DevStack,
// made from Debian's own packages because nothing here may come from the
// internet: Debian's kernel and an initramfs of busybox-static and
// dropbear on a small raw disk that boots with BIOS (syslinux) or UEFI
// (systemd-boot). Its /init brings up every NIC with DHCP, reads the
// config drive or else the metadata service, installs the SSH keys,
// starts dropbear, runs a "#!" user data script and prints BootMarker on
// the serial console.
//
// internal/images builds it as the "guest" recipe (the disk lands at
// DiskPath inside Image); Extract copies it out for Glance.
package guest

import (
	_ "embed"
	"fmt"
	"strings"
)

// Image is the podman image the disk is built into for a release's images
// (not run by any unit); it is tagged with the release like the others.
func Image(release string) string { return "localhost/hotstack-os-guest:" + release }

// DiskPath is the raw disk image inside Image.
const DiskPath = "/usr/share/hotstack-os/guest.img"

// GlanceName is the name the disk is uploaded to Glance under.
const GlanceName = "hotstack-os-guest"

// The Glance image's formats and minimums: the whole system lives in RAM
// (kernel and initramfs), the disk only holds the boot files.
const (
	DiskFormat      = "raw"
	ContainerFormat = "bare"
	MinRAMMB        = 128
	MinDiskGB       = 1
)

// BootMarker starts the serial console line the guest prints once it is
// up: "hotstack-guest: booted <uuid> addresses: eth0=10.0.0.5/24 ...".
// By then dropbear listens and the user data has run.
const BootMarker = "hotstack-guest: booted "

// Properties are the Glance image properties the guest needs: its disk
// and NIC drivers are virtio. The firmware is BIOS unless the image (or
// a copy) sets hw_firmware_type=uefi, which the disk also boots.
func Properties() map[string]string {
	return map[string]string{
		"hw_disk_bus":  "virtio",
		"hw_vif_model": "virtio",
		"os_type":      "linux",
		"os_distro":    "debian",
	}
}

// Packages are what the build needs: the kernel (the generic one: the
// cloud kernel has no AHCI driver, and q35 guests get their config drive
// on SATA; its bzImage is also larger), the guest's userland, and the
// tools that make the initramfs and the disk without mounting anything.
// genisoimage is not for the disk: tests make config drives with it.
func Packages() []string {
	return []string{"linux-image-amd64", "kmod", "busybox-static", "dropbear-bin",
		"cpio", "dosfstools", "mtools", "syslinux", "syslinux-common", "systemd-boot-efi", "fdisk",
		"genisoimage"}
}

// Stubs stand in for the initramfs generator the kernel package depends
// on: the guest makes its own initramfs.
func Stubs() map[string]string {
	return map[string]string{"hotstack-guest-no-initramfs-tool": "linux-initramfs-tool"}
}

// Modules are the kernel modules the guest loads at boot, in order (their
// dependencies come along): virtio devices, the CD-ROM of a config drive
// on IDE (pc), SATA (q35) or virtio-scsi, 802.1Q for trunk subports, and
// the ACPI power button so that nova's stop is a clean poweroff.
var Modules = []string{
	"virtio_pci", "virtio_blk", "virtio_net", "virtio_scsi", "virtio_rng",
	"ata_piix", "ahci", "sr_mod", "sd_mod", "isofs", "vfat", "nls_cp437", "nls_ascii", "nls_utf8",
	"8021q", "button", "evdev",
}

// KernelCmdline sends the console to the serial port last, so /dev/console
// (and nova's console log) is ttyS0.
const KernelCmdline = "console=tty0 console=ttyS0,115200n8"

// BuildScriptPath is where the recipe puts BuildScript; its Post runs it.
const BuildScriptPath = "/usr/local/sbin/build-hotstack-guest"

//go:embed init.sh
var initScript string

//go:embed udhcpc.sh
var udhcpcScript string

//go:embed lsblk.sh
var lsblkScript string

//go:embed lib.sh
var libScript string

//go:embed build.sh
var buildBody string

// heredocEnd ends each embedded file in BuildScript; no file may hold it
// as a line (a test checks).
const heredocEnd = "HOTSTACK_GUEST_EOF"

// BuildScript is the shell the image build runs: it writes the guest's
// files into a work directory, then makes the initramfs and the disk at
// DiskPath (build.sh).
func BuildScript() string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# Builds the hotstack-os test guest disk (internal/guest).\nset -eu\n")
	fmt.Fprintf(&b, "DISK=%s\nMODULES=%q\nCMDLINE=%q\n", DiskPath, strings.Join(Modules, " "), KernelCmdline)
	b.WriteString("work=$(mktemp -d)\nfiles=$work/files\nmkdir -p \"$files\"\n")
	for _, f := range []struct{ name, content string }{
		{"init", initScript}, {"lib.sh", libScript}, {"udhcpc.script", udhcpcScript}, {"lsblk", lsblkScript},
	} {
		fmt.Fprintf(&b, "cat >\"$files/%s\" <<'%s'\n%s%s\n", f.name, heredocEnd, f.content, heredocEnd)
	}
	b.WriteString(buildBody)
	return b.String()
}
