#!/bin/sh
# lsblk stand-in (busybox has none): every block device and partition
# with its size in bytes, from /sys/block.
printf '%-10s %14s %s\n' NAME BYTES RO
for d in /sys/block/*; do
	n=${d##*/}
	case $n in loop* | ram*) continue ;; esac
	printf '%-10s %14s %s\n' "$n" "$(($(cat "$d/size") * 512))" "$(cat "$d/ro")"
	for p in "$d/$n"*; do
		[ -f "$p/size" ] || continue
		printf '%-10s %14s %s\n' "  ${p##*/}" "$(($(cat "$p/size") * 512))" "$(cat "$p/ro" 2>/dev/null || echo 0)"
	done
done
