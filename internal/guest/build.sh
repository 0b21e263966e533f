# Body of the guest build script (internal/guest.BuildScript puts the
# settings and the guest's own files before it). Runs in the image build,
# after apt installed the kernel, busybox-static, dropbear-bin and the
# disk tools. Nothing is mounted: the initramfs is a cpio archive, the
# FAT filesystem is written with mtools, the disk is assembled with dd.

kver=$(ls /usr/lib/modules)
case $kver in
*[!A-Za-z0-9._+-]* | '')
	echo "build-guest: want exactly one kernel in /usr/lib/modules, have: $kver" >&2
	exit 1
	;;
esac
root=$work/root

# --- the root filesystem (initramfs) ---
for d in bin sbin usr/bin usr/sbin etc/dropbear etc/acpi/PWRF proc sys dev run tmp mnt root/.ssh \
	var/log usr/share/udhcpc "lib/modules/$kver"; do
	mkdir -p "$root/$d"
done
ln -s ../run "$root/var/run"
chmod 700 "$root/root" "$root/root/.ssh"
chmod 1777 "$root/tmp"

# busybox-static: one binary, every applet a link to it at its usual path.
cp /usr/bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done

install -m 755 "$files/init" "$root/init"
install -D -m 644 "$files/lib.sh" "$root/usr/lib/hotstack-guest/lib.sh"
install -m 755 "$files/udhcpc.script" "$root/usr/share/udhcpc/default.script"
install -m 755 "$files/lsblk" "$root/usr/bin/lsblk"

# dropbear and the shared libraries it links, at the paths ldd names.
for b in /usr/sbin/dropbear /usr/bin/dropbearkey /usr/bin/dbclient; do
	cp "$b" "$root$b"
	ldd "$b" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'
done | sort -u >"$work/libs"
while read -r lib; do
	mkdir -p "$root${lib%/*}"
	cp -L "$lib" "$root$lib"
done <"$work/libs"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >"$root/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
EOF
chmod 600 "$root/etc/shadow"
cat >"$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
EOF
echo /bin/sh >"$root/etc/shells"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
echo hotstack-guest >"$root/etc/hostname"
cat >"$root/etc/profile" <<'EOF'
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
PS1='\h:\w\$ '
EOF
# busybox init after /init: nothing to start, only shutdown to handle.
cat >"$root/etc/inittab" <<'EOF'
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/sh -c 'echo "hotstack-guest: shutting down" >/dev/console'
EOF
# busybox acpid runs /etc/acpi/PWRF/00000080 on the power button.
printf '#!/bin/sh\nexec poweroff\n' >"$root/etc/acpi/PWRF/00000080"
chmod 755 "$root/etc/acpi/PWRF/00000080"
# The kernel opens /dev/console before /init runs, if the archive has it.
mknod -m 600 "$root/dev/console" c 5 1 || true

# The kernel modules: each wanted one with its dependencies (kmod says
# which), and a modules.dep for busybox modprobe. A built-in module needs
# no file; a module this kernel lacks fails the build.
: >"$work/deps"
: >"$root/etc/guest-modules"
for m in $MODULES; do
	modprobe -S "$kver" --show-depends "$m" >>"$work/deps"
	if ! modprobe -S "$kver" --show-depends "$m" | grep -q '^builtin '; then
		echo "$m" >>"$root/etc/guest-modules"
	fi
done
for ko in $(sed -n 's/^insmod \([^ ]*\).*/\1/p' "$work/deps" | sort -u); do
	rel=${ko#*/lib/modules/$kver/}
	mkdir -p "$root/lib/modules/$kver/${rel%/*}"
	cp "$ko" "$root/lib/modules/$kver/$rel"
done
cp "/usr/lib/modules/$kver/modules.builtin" "/usr/lib/modules/$kver/modules.order" "$root/lib/modules/$kver/"
depmod -b "$root" "$kver"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 -n >"$work/initrd.img"

# --- the boot files (one FAT partition for BIOS and UEFI) ---
cat >"$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT hotstack
PROMPT 0
LABEL hotstack
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND $CMDLINE
EOF
printf 'default hotstack.conf\ntimeout 0\neditor no\n' >"$work/loader.conf"
printf 'title hotstack-os guest\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$CMDLINE" >"$work/hotstack.conf"

# The partition: the files plus 2 MiB, from sector 2048 (1 MiB) on.
kib=$((($(stat -c %s "/boot/vmlinuz-$kver") + $(stat -c %s "$work/initrd.img") + 1048575) / 1048576 * 1024 + 2048))
mkfs.fat -C -h 2048 -i 48535447 -n HSGUEST "$work/part.img" "$kib" >/dev/null
export MTOOLS_SKIP_CHECK=1
# The mtools build of syslinux writes its boot sector and ldlinux.sys
# into the filesystem image itself.
syslinux --install "$work/part.img"
mmd -i "$work/part.img" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$work/part.img" "/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$work/part.img" "$work/initrd.img" ::/initrd.img
mcopy -i "$work/part.img" "$work/syslinux.cfg" ::/syslinux.cfg
mcopy -i "$work/part.img" /usr/lib/systemd/boot/efi/systemd-bootx64.efi ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/part.img" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$work/part.img" "$work/hotstack.conf" ::/loader/entries/hotstack.conf

# The disk: an MBR with syslinux's boot code and one active partition of
# type EF (EFI system partition: OVMF boots \EFI\BOOT\BOOTX64.EFI from it;
# the BIOS boot code only looks at the active flag).
truncate -s $(((kib + 1024) * 1024)) "$work/disk.img"
printf 'label: dos\nlabel-id: 0x48535447\nstart=2048, type=ef, bootable\n' | sfdisk --quiet "$work/disk.img"
dd if="$work/part.img" of="$work/disk.img" bs=1M seek=1 conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$work/disk.img" bs=440 count=1 conv=notrunc status=none

mkdir -p "${DISK%/*}"
mv "$work/disk.img" "$DISK"
rm -rf "$work"
echo "build-guest: $DISK: $(stat -c %s "$DISK") bytes, kernel $kver"
