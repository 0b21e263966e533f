package stack

// ImageUser is a service account the images create with a fixed id, so the
// host's data directories, bind-mounted into the containers, can belong to
// the user the service runs as. The ids are Kolla's, which keeps them out
// of the ranges distributions hand out.
type ImageUser struct {
	Name string
	ID   int // uid and gid
	Home string
}

// ImageUsers is part of the image contract (README, "Image contract").
func ImageUsers() []ImageUser {
	return []ImageUser{
		{"cinder", 42407, "/var/lib/cinder"},
		{"glance", 42415, "/var/lib/glance"},
		{"heat", 42418, "/var/lib/heat"},
		{"keystone", 42425, "/var/lib/keystone"},
		{"mysql", 42434, "/nonexistent"},
		{"neutron", 42435, "/var/lib/neutron"},
		{"nova", 42436, "/var/lib/nova"},
		{"rabbitmq", 42439, "/var/lib/rabbitmq"},
		{"haproxy", 42454, "/var/lib/haproxy"},
		{"memcache", 42457, "/nonexistent"},
		{"placement", 42482, "/var/lib/placement"},
		{"dnsmasq", 42500, "/var/lib/misc"},
	}
}

// UserID returns the id of the image user name; root (0) for "root".
func UserID(name string) (int, bool) {
	if name == "root" {
		return 0, true
	}
	for _, u := range ImageUsers() {
		if u.Name == name {
			return u.ID, true
		}
	}
	return 0, false
}
