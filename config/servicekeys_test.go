package config

import "testing"

// testKeys is BaseKeys with service keys as the stack adds them from its
// records (stack's Schema): three addresses, and the passwords of three
// projects, one whose user has several databases and one whose service
// password serves a second user.
func testKeys() Schema {
	return BaseKeys().With(
		ServiceAddress("MARIADB_IP", "172.31.0.3", "MariaDB."),
		ServiceAddress("KEYSTONE_IP", "172.31.0.11", "Keystone."),
		ServiceAddress("GLANCE_IP", "172.31.0.12", "Glance."),
		DatabasePassword("glance", []string{"glance"}),
		DatabasePassword("nova", []string{"nova", "nova_api", "nova_cell0"}),
		ServicePassword("glance", ""),
		ServicePassword("heat", "heat_domain_admin"),
	)
}

// A service's keys: their names, the shared passwords they fall back on,
// and documentation that names the users and databases.
func TestServiceKeys(t *testing.T) {
	for _, tc := range []struct {
		key                 Key
		name, def, doc, grp string
	}{
		{ServiceAddress("GLANCE_IP", "172.31.0.12", "Glance."), "GLANCE_IP", "172.31.0.12", "Glance.", "Service addresses"},
		{DatabasePassword("glance", []string{"glance"}), "GLANCE_DB_PASSWORD", "${DB_PASSWORD}",
			"Password of the MariaDB user glance, which may use only the database glance.", "Secrets"},
		{DatabasePassword("nova", []string{"nova", "nova_api", "nova_cell0"}), "NOVA_DB_PASSWORD", "${DB_PASSWORD}",
			"Password of the MariaDB user nova, which may use only the databases nova, nova_api and nova_cell0.", "Secrets"},
		{ServicePassword("glance", ""), "GLANCE_SERVICE_PASSWORD", "${SERVICE_PASSWORD}", "Password of the Keystone service user glance.", "Secrets"},
		{ServicePassword("heat", "heat_domain_admin"), "HEAT_SERVICE_PASSWORD", "${SERVICE_PASSWORD}",
			"Password of the Keystone service user heat and of heat_domain_admin.", "Secrets"},
	} {
		k := tc.key
		if k.Name != tc.name || k.Default != tc.def || k.Doc != tc.doc || k.Group != tc.grp {
			t.Errorf("%+v\nwant name %s, default %s, doc %q, group %s", k, tc.name, tc.def, tc.doc, tc.grp)
		}
		// An address is set in the example; a password is left to be
		// generated.
		kind, password := ServiceIP, tc.grp == "Secrets"
		if password {
			kind = Secret
		}
		if k.Kind != kind || k.Generated != password || k.Optional != password {
			t.Errorf("%s: kind %v, generated %v, optional %v", k.Name, k.Kind, k.Generated, k.Optional)
		}
	}
}
