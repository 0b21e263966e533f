//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// apisAfterRestart is the script of the check that "healthy" means
// answering: MariaDB and RabbitMQ restart, `mage status` waits for every
// service to be healthy, and then, at once, ten rounds of a token and a
// list from each API in the catalog must all succeed (no 502 from
// haproxy, no 500 from a service still holding dead connections). It
// prints one line per failed request and "failed N" last.
const apisAfterRestart = `set -u
MAGE=$1
systemctl restart hotstack-os-mariadb.service hotstack-os-rabbitmq.service
end=$(($(date +%s) + 300))
until "$MAGE" status >/dev/null 2>&1; do
	if [ "$(date +%s)" -ge "$end" ]; then echo "status not healthy within 300 s"; echo "failed 1"; exit 0; fi
	sleep 1
done
failed=0
for round in 1 2 3 4 5 6 7 8 9 10; do
	code=$(curl -s -D /run/e2e-h -o /run/e2e-b -w '%{http_code}' -H 'Content-Type: application/json' \
		-d @/run/e2e-auth.json http://keystone.hotstack-os.local:5000/v3/auth/tokens)
	if [ "$code" != 201 ]; then echo "round $round: token: HTTP $code"; failed=$((failed + 1)); continue; fi
	token=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p' /run/e2e-h | tr -d '\r')
	for entry in $(jq -r '.token.catalog[] | select(.type == "compute" or .type == "network" or .type == "image" or .type == "volumev3" or .type == "orchestration" or .type == "placement") | .type + "=" + (.endpoints[] | select(.interface == "public") | .url)' /run/e2e-b); do
		type=${entry%%=*} url=${entry#*=}
		case $type in
		compute) path=/servers ;; network) path=/v2.0/networks ;; image) path=/v2/images ;;
		volumev3) path=/volumes ;; orchestration) path=/stacks ;; placement) path=/resource_providers ;;
		esac
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $token" "$url$path")
		if [ "$code" != 200 ]; then echo "round $round: $type $url$path: HTTP $code"; failed=$((failed + 1)); fi
	done
done
echo "failed $failed"
`

// checkAPIsAfterRestart runs apisAfterRestart in the box as admin with
// password.
func (s *Stack) checkAPIsAfterRestart(t *testing.T, password string) {
	t.Helper()
	s.writeAdminAuth(t, password)
	out := s.MustExec(t, "sh", "-c", apisAfterRestart, "sh", s.MageBin)
	if !strings.Contains(out, "failed 0") {
		t.Errorf("API requests failed after MariaDB and RabbitMQ restarted and status said healthy:\n%s", out)
	}
	t.Logf("after a MariaDB and RabbitMQ restart: %s", lastLine(out))
}
