//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// Passwords full of characters that quoting, specifiers and env files get
// wrong; each is unique so a leak can be traced.
var secretValues = map[string]string{
	"KEYSTONE_ADMIN_PASSWORD": `Adm1n p@ss w%rd$HOME"'\;#`,
	"MYSQL_ROOT_PASSWORD":     `R00t %n $$ "x" 'y' \\ z`,
	"DB_PASSWORD":             `Db-${DB} %% \"q\" tail `,
	"SERVICE_PASSWORD":        `Svc $(id) ` + "`id`" + ` \n 'end`,
	"RABBITMQ_DEFAULT_PASS":   `Rab %i%I$1 "'\`,
}

// envQuote writes a value for our .env: single quotes are literal, and the
// parser strips only the outer pair, so inner quotes survive.
func envQuote(v string) string { return "'" + v + "'" }

func (s *Stack) checkSecrets(t *testing.T) {
	var env strings.Builder
	for k, v := range secretValues {
		env.WriteString(k + "=" + envQuote(v) + "\n")
	}
	s.WriteFile(t, s.EnvFile, baseEnv+env.String(), 0o600)
	s.MustMage(t, nil, "install")
	s.MustMage(t, nil, "down")

	// Watch the process table while the stack starts.
	stopPS := make(chan struct{})
	psDone := make(chan string)
	go func() {
		var seen strings.Builder
		for {
			select {
			case <-stopPS:
				psDone <- seen.String()
				return
			default:
				out, _ := s.Exec("ps", "-eo", "args")
				seen.WriteString(out)
			}
		}
	}()
	s.mageUp(t)
	close(stopPS)
	psSeen := <-psDone

	// Inside the containers the values are byte-identical.
	checks := map[string][2]string{ // container -> variable, secret key
		"hotstack-os-mariadb":        {"MYSQL_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD"},
		"hotstack-os-keystone":       {"KEYSTONE_ADMIN_PASSWORD", "KEYSTONE_ADMIN_PASSWORD"},
		"hotstack-os-glance":         {"GLANCE_DB_PASSWORD", "DB_PASSWORD"},
		"hotstack-os-nova-conductor": {"METADATA_SECRET", "SERVICE_PASSWORD"},
		"hotstack-os-rabbitmq":       {"RABBITMQ_DEFAULT_PASS", "RABBITMQ_DEFAULT_PASS"},
	}
	for container, c := range checks {
		got := s.MustExec("podman", "exec", container, "printenv", c[0])
		if got != secretValues[c[1]]+"\n" {
			t.Errorf("%s: %s = %q, want %q", container, c[0], got, secretValues[c[1]])
		}
	}

	haystacks := map[string]string{
		"ps during start": psSeen,
		"systemctl show":  s.MustExec("sh", "-c", "systemctl show 'hotstack-os*'"),
		"the journal":     s.MustExec("journalctl", "--no-pager", "-o", "verbose"),
		// Files any user can read, wherever the stack writes.
		"world-readable files": s.MustExec("sh", "-c",
			"find /etc /run /var/lib/hotstack-os /usr/local/bin /var/lib/containers /tmp -xdev -type f -perm -o=r -size -2M 2>/dev/null | xargs -r cat 2>/dev/null; true"),
	}
	for where, text := range haystacks {
		for key, v := range secretValues {
			// The distinctive prefix of each value is enough to trace it.
			needle := strings.Fields(v)[0]
			if strings.Contains(text, needle) {
				t.Errorf("%s leaks %s (%q)", where, key, needle)
			}
		}
	}
	s.withEnv(t, "")
}
