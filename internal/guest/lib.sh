# Functions /init sources (/usr/lib/hotstack-guest/lib.sh) to read the
# metadata nova writes: JSON, one object per file on one line, read with
# sed and grep (no jq in the guest). Kept apart so the unit tests run
# them on nova's formats with busybox.

# jstr KEY: the first string value of KEY in the JSON on stdin.
jstr() {
	grep -o "\"$1\": *\"[^\"]*\"" | head -n 1 | sed 's/^[^:]*: *"//; s/"$//'
}

# jval KEY: the string or number value of KEY in one flat JSON object on
# stdin.
jval() {
	sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1
}

# ssh_keys FILE: one authorized_keys line per key of meta_data.json's
# public_keys object ({"name": "ssh-ed25519 AAAA... comment\n", ...}).
# The keys are taken by their shape, which also leaves out the "\n" nova
# keeps at their end.
ssh_keys() {
	sed -n 's/.*"public_keys": *{\([^}]*\)}.*/\1/p' "$1" |
		grep -oE '(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+=*( [^"\\]*)?'
}

# vlan_links FILE: "VLAN_ID PARENT_MAC VLAN_MAC" for each link of type
# vlan in network_data.json (trunk subports); the parent is the link the
# vlan_link names, and its MAC address is how the guest finds its NIC.
vlan_links() {
	_links=$(sed -n 's/.*"links": *\[\([^]]*\)\].*/\1/p' "$1" | tr '{}' '\n\n')
	echo "$_links" | while read -r _l; do
		[ "$(echo "$_l" | jval type)" = vlan ] || continue
		_parent=$(echo "$_l" | jval vlan_link)
		_pmac=$(echo "$_links" | grep "\"id\": *\"$_parent\"" | jval ethernet_mac_address)
		echo "$(echo "$_l" | jval vlan_id) ${_pmac:--} $(echo "$_l" | jval vlan_mac_address)"
	done
}
