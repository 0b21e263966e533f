//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// backupMarks is the script that leaves marks a restore must bring back: a
// Keystone user and a 1 GiB volume (waited for until available). It reads
// the admin's login from /run/e2e-auth.json and prints the volume's ID.
const backupMarks = `set -eu
curl -sf -D /run/e2e-h -o /run/e2e-b -H 'Content-Type: application/json' -d @/run/e2e-auth.json http://keystone.hotstack-os.local:5000/v3/auth/tokens
token=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p' /run/e2e-h | tr -d '\r')
project=$(jq -r .token.project.id /run/e2e-b)
curl -sf -o /dev/null -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
	-d '{"user": {"name": "e2e-backup-marker", "domain_id": "default", "password": "e2e-backup-only"}}' http://keystone.hotstack-os.local:5000/v3/users
vol=$(curl -sf -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
	-d '{"volume": {"size": 1, "name": "e2e-backup-volume"}}' "http://cinder.hotstack-os.local:8776/v3/$project/volumes" | jq -r .volume.id)
for i in $(seq 60); do
	status=$(curl -sf -H "X-Auth-Token: $token" "http://cinder.hotstack-os.local:8776/v3/$project/volumes/$vol" | jq -r .volume.status)
	[ "$status" = available ] && break
	sleep 2
done
[ "$status" = available ] || { echo "volume $vol: $status"; exit 1; }
echo "$vol"
`

// backupChecks is the script that looks for the marks after a restore, and
// for the test guest's image: it prints one line per mark found.
const backupChecks = `set -eu
curl -sf -D /run/e2e-h -o /run/e2e-b -H 'Content-Type: application/json' -d @/run/e2e-auth.json http://keystone.hotstack-os.local:5000/v3/auth/tokens
token=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p' /run/e2e-h | tr -d '\r')
project=$(jq -r .token.project.id /run/e2e-b)
curl -sf -H "X-Auth-Token: $token" 'http://keystone.hotstack-os.local:5000/v3/users?name=e2e-backup-marker' | jq -r '.users[] | "user " + .name'
curl -sf -H "X-Auth-Token: $token" "http://cinder.hotstack-os.local:8776/v3/$project/volumes/$1" | jq -r '"volume " + .volume.status'
curl -sf -H "X-Auth-Token: $token" 'http://glance.hotstack-os.local:9292/v2/images?name=hotstack-os-guest' | jq -r '.images[] | "image " + .status'
`

// writeAdminAuth writes the admin's token request with password, root's
// only, for the scripts that call the APIs (the password never on a
// command line).
func (s *Stack) writeAdminAuth(t *testing.T, password string) {
	t.Helper()
	auth, err := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
			"user": map[string]any{"name": "admin", "domain": map[string]string{"name": "Default"}, "password": password}}},
		"scope": map[string]any{"project": map[string]any{"name": "admin", "domain": map[string]string{"name": "Default"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.WriteFile(t, "/run/e2e-auth.json", string(auth), 0o600)
}

// markAndBackUp leaves the marks and takes a backup; it returns the
// backup's directory and the volume's ID.
func (s *Stack) markAndBackUp(t *testing.T) (dir, volume string) {
	t.Helper()
	s.writeAdminAuth(t, s.generatedSecrets(t)["KEYSTONE_ADMIN_PASSWORD"])
	volume = lastLine(s.MustExec(t, "sh", "-c", backupMarks))
	out := s.MustMage(t, nil, "backup")
	dir = strings.TrimSpace(s.MustExec(t, "sh", "-c", "ls -d /var/backups/hotstack-os/*/ | tail -1"))
	dir = strings.TrimSuffix(dir, "/")
	for _, want := range []string{"mariadb.sql", "ovnnb.db", "data/glance-images", "data/cinder-volumes/volume-" + volume} {
		if _, err := s.Exec("test", "-e", dir+"/"+want); err != nil {
			t.Errorf("the backup %s lacks %s:\n%s", dir, want, tail(out, 5))
		}
	}
	t.Logf("backup: %s", lastLine(out))
	return dir, volume
}

// checkRestored looks for the marks in the restored cloud.
func (s *Stack) checkRestored(t *testing.T, volume string) {
	t.Helper()
	s.writeAdminAuth(t, s.generatedSecrets(t)["KEYSTONE_ADMIN_PASSWORD"])
	out, err := s.Exec("sh", "-c", backupChecks, "sh", volume)
	if err != nil {
		t.Fatalf("the restored cloud does not answer as the backed-up admin: %v\n%s", err, out)
	}
	for _, want := range []string{"user e2e-backup-marker", "volume available", "image active"} {
		if !strings.Contains(out, want) {
			t.Errorf("after the restore, %q is missing:\n%s", want, out)
		}
	}
	if _, err := s.Exec("test", "-s", "/var/lib/hotstack-os/cinder-nfs/volume-"+volume); err != nil {
		t.Errorf("the volume's file did not come back")
	}
}
