#!/bin/sh
# busybox udhcpc's lease script for the hotstack-os test guest: udhcpc
# only speaks DHCP, this applies the lease. $1 is the event; the lease is
# in the environment ($interface, $ip, $mask, $subnet, $router, $dns,
# $domain, $mtu, $staticroutes).

# Straight to the console: udhcpc runs this with stdout on /dev/null once
# it is in the background.
say() {
	echo "hotstack-guest: $*" >/dev/console
}

case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	[ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
	if [ -z "$mask" ]; then
		eval "$(ipcalc -p "$ip" "$subnet")"
		mask=$PREFIX
	fi
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" ${broadcast:+broadcast "$broadcast"} dev "$interface"
	# Every NIC gets its routes, the first NIC's win: the metric grows
	# with the interface index.
	metric=$((100 + $(cat "/sys/class/net/$interface/ifindex")))
	if [ -n "$staticroutes" ]; then
		# RFC 3442: with classless routes the router option is ignored;
		# neutron sends the metadata route (169.254.169.254/32) and the
		# default route this way. A gateway of 0.0.0.0 is on-link.
		set -- $staticroutes
		while [ $# -ge 2 ]; do
			if [ "$2" = 0.0.0.0 ]; then
				ip route add "$1" dev "$interface" metric "$metric"
			else
				ip route add "$1" via "$2" dev "$interface" metric "$metric"
			fi
			shift 2
		done
	elif [ -n "$router" ]; then
		set -- $router
		ip route add default via "$1" dev "$interface" metric "$metric"
	fi
	# One file per NIC, joined: a lease on one NIC does not drop another's
	# name servers. The NICs' scripts run at the same time: mkdir is the
	# lock (busybox has no flock), and each file is replaced whole.
	mkdir -p /run/resolv.d
	until mkdir /run/resolv.lock 2>/dev/null; do
		usleep 100000
	done
	{
		[ -n "$domain" ] && echo "search $domain"
		for s in $dns; do
			echo "nameserver $s"
		done
	} >/run/resolv.new
	mv /run/resolv.new "/run/resolv.d/$interface"
	cat /run/resolv.d/* >/run/resolv.new
	mv /run/resolv.new /etc/resolv.conf
	rmdir /run/resolv.lock
	say "$interface $(cat "/sys/class/net/$interface/address") $ip/$mask${router:+ via $router}"
	;;
leasefail | nak)
	# Once per NIC: udhcpc keeps retrying in the background.
	if [ ! -e "/run/leasefail.$interface" ]; then
		: >"/run/leasefail.$interface"
		say "$interface: no DHCP lease yet"
	fi
	;;
esac
exit 0
