// Package cloudnames holds the names the cloud is bootstrapped with: the
// keystone container creates the admin identity and its endpoints under
// them (keystone-manage bootstrap, internal/entrypoint), and the host's
// clients log in with them (internal/openstack). It imports nothing, so
// the container helper gets the names without linking gophercloud.
package cloudnames

const (
	// PublicDomain is where the public API names live (haproxy on BREX_IP).
	PublicDomain = "hotstack-os.local"
	AdminUser    = "admin"
	AdminProject = "admin"
	AdminRole    = "admin"
)
