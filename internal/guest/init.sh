#!/bin/sh
# /init of the hotstack-os test guest: PID 1 of an initramfs that is the
# whole root filesystem (busybox, dropbear, a few kernel modules). It does
# what cloud-init does for a test, in the order a test needs it: network,
# metadata (config drive first, else the metadata service), SSH keys,
# dropbear, user data, then one boot marker line on the serial console.
# Then it hands PID 1 to busybox init, so poweroff and reboot work.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel mounts devtmpfs itself only on a real root, never on an
# initramfs.
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
# Without /dev/console in the archive the kernel started us with no
# stdio; from here everything reaches the serial console (console=ttyS0
# is the last console= on the command line, so it is /dev/console).
exec </dev/console >/dev/console 2>&1

say() {
	echo "hotstack-guest: $*"
	echo "$*" >>/run/hotstack-guest.log
}

# jstr, jval, ssh_keys, vlan_links: reading nova's JSON.
. /usr/lib/hotstack-guest/lib.sh

# Only the modules the build put in modules.dep are here; a missing one
# is reported, never fatal: the guest may still be reachable.
while read -r m; do
	case $m in
	# The guest fills in its own checksums: Open vSwitch's userspace
	# datapath (hosts without its kernel module) passes a checksum-offloaded
	# packet on with its checksum unfilled, and the peer drops it, so TCP
	# never connects while ping works. (GSO needs checksum offload.)
	virtio_net) opts="csum=0 gso=0" ;;
	*) opts= ;;
	esac
	# shellcheck disable=SC2086 # opts is a list of words
	modprobe "$m" $opts || say "module $m did not load"
done </etc/guest-modules

syslogd -O /run/messages
ip link set lo up

# How the guest was started: UEFI firmware leaves /sys/firmware/efi.
if [ -d /sys/firmware/efi ]; then
	say "firmware uefi"
else
	say "firmware bios"
fi
# This boot and its virtio disks, for a test that has only the console
# (a rescued server may have no network): the boot ID changes every boot.
disks=
for d in /sys/block/vd*; do
	[ -e "$d" ] && disks="$disks ${d##*/}"
done
say "boot $(cat /proc/sys/kernel/random/boot_id) disks:$disks"

# DHCP on every NIC at once, each udhcpc going to the background once it
# has a lease (or after ~20 s without one), while the config drive is
# looked for. Only devices with a bus behind them: not lo, not VLANs.
dhcp() {
	udhcpc -i "$1" -s /usr/share/udhcpc/default.script -O mtu -O staticroutes \
		-t 6 -T 3 -A 10 -b -p "/run/udhcpc.$1.pid" >/dev/null 2>&1 &
}
for d in /sys/class/net/*; do
	i=${d##*/}
	[ -e "$d/device" ] || continue
	ip link set "$i" up
	dhcp "$i"
done

# The config drive: an ISO 9660 (or VFAT) filesystem labelled config-2.
# Disks appear a moment after their driver loads (the ATA and SCSI scans
# are asynchronous), so look for a few seconds.
source=none
n=0
while [ $n -lt 10 ]; do
	dev=$(findfs LABEL=config-2 2>/dev/null || findfs LABEL=CONFIG-2 2>/dev/null)
	if [ -n "$dev" ]; then
		mkdir -p /mnt/config
		if mount -o ro "$dev" /mnt/config; then
			for f in meta_data.json user_data network_data.json vendor_data.json; do
				[ -f "/mnt/config/openstack/latest/$f" ] && cp "/mnt/config/openstack/latest/$f" "/run/$f"
			done
			umount /mnt/config
			source="config-drive $dev"
		else
			say "config drive $dev did not mount"
		fi
		break
	fi
	n=$((n + 1))
	usleep 500000
done

# The leases the metadata service needs.
wait

# timeout, not wget -T: busybox 1.35's wget crashes with -T.
fetch() {
	timeout 10 wget -q -O "/run/$1.part" "http://169.254.169.254/openstack/latest/$1" 2>/dev/null &&
		mv "/run/$1.part" "/run/$1"
}
if [ ! -f /run/meta_data.json ]; then
	# The metadata service can be slow to answer a new port: ~30 s.
	end=$(($(date +%s) + 30))
	until fetch meta_data.json; do
		if [ "$(date +%s)" -ge "$end" ]; then
			break
		fi
		sleep 2
	done
	rm -f /run/meta_data.json.part
	if [ -f /run/meta_data.json ]; then
		source=metadata-service
		# Both are optional: a 404 is no user data.
		fetch user_data || rm -f /run/user_data.part
		fetch network_data.json || rm -f /run/network_data.json.part
	fi
fi
echo "$source" >/run/metadata-source
say "metadata from $source"

uuid=unknown
if [ -f /run/meta_data.json ]; then
	uuid=$(jstr uuid </run/meta_data.json)
	host=$(jstr hostname </run/meta_data.json)
	[ -n "$host" ] && hostname "${host%%.*}"
	mkdir -p /root/.ssh
	chmod 700 /root /root/.ssh
	ssh_keys /run/meta_data.json >/root/.ssh/authorized_keys
	chmod 600 /root/.ssh/authorized_keys
	say "$(wc -l </root/.ssh/authorized_keys) ssh key(s) installed"
fi
echo "$uuid" >/run/instance-id

# SSH as soon as the keys are in: what follows can take a while (DHCP on
# VLANs, user data); a test waits for the boot marker.
mkdir -p /etc/dropbear
# -R: host keys made when a client first asks for one (quick for the
# ed25519 key clients prefer); -s: keys only, no passwords.
dropbear -R -s -p 22 -P /run/dropbear.pid
# The power button (nova's stop) powers the guest off at once.
acpid

# VLAN subports (trunks): network_data.json lists them as links of type
# vlan on a parent link; the parent NIC is found by its MAC address.
if [ -f /run/network_data.json ]; then
	# A redirect, not a pipe: the loop's udhcpc are this shell's children,
	# which wait waits for.
	vlan_links /run/network_data.json >/run/vlan-links
	while read -r vid pmac mac; do
		pdev=
		for d in /sys/class/net/*; do
			[ "$(cat "$d/address")" = "$pmac" ] && pdev=${d##*/}
		done
		if [ -z "$pdev" ] || [ -z "$vid" ]; then
			say "vlan $vid: no parent NIC with MAC $pmac"
			continue
		fi
		v=$pdev.$vid
		ip link add link "$pdev" name "$v" type vlan id "$vid" || vconfig add "$pdev" "$vid"
		[ -n "$mac" ] && ip link set "$v" address "$mac"
		ip link set "$v" up
		say "vlan $v ($mac) on $pdev"
		dhcp "$v"
	done </run/vlan-links
	wait
fi

if [ -f /run/user_data ] && [ "$(head -c 2 /run/user_data)" = "#!" ]; then
	say "running user data"
	timeout 600 sh /run/user_data </dev/null >/run/user-data.log 2>&1
	rc=$?
	echo "$rc" >/run/user-data.done
	say "user data exited $rc"
fi

addrs=
for d in /sys/class/net/*; do
	i=${d##*/}
	[ "$i" = lo ] && continue
	a=$(ip -4 addr show dev "$i" | sed -n 's/.* inet \([0-9./]*\).*/\1/p' | head -n 1)
	addrs="$addrs $i=${a:-none}"
done
say "booted $uuid addresses:$addrs"

exec /sbin/init
