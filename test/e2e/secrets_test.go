//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// Passwords full of characters that quoting, specifiers and env files get
// wrong; each is unique so a leak can be traced.
// Each starts with a token found nowhere else, so a leak can be searched for.
func secretValues() map[string]string {
	return map[string]string{
		"KEYSTONE_ADMIN_PASSWORD": `zqAdm1nzq p@ss w%rd$HOME"'\;#`,
		"MYSQL_ROOT_PASSWORD":     `zqR00tzq %n $$ "x" 'y' \\ z`,
		"DB_PASSWORD":             `zqDbzq-${DB} %% \"q\" tail `,
		"SERVICE_PASSWORD":        `zqSvczq $(id) ` + "`id`" + ` \n 'end`,
		"RABBITMQ_DEFAULT_PASS":   `zqRabzq %i%I$1 "'\`,
	}
}

// regionValue is not a secret: it is rendered into the unit's command line.
const regionValue = `Reg%ion %n $HOME $$ "dq" \\ ;# end`

// envQuote writes a value for our .env: single quotes are literal, and the
// parser strips only the outer pair, so inner quotes survive.
func envQuote(v string) string { return "'" + v + "'" }

func (s *Stack) checkSecrets(t *testing.T) {
	var env strings.Builder
	for k, v := range secretValues() {
		env.WriteString(k + "=" + envQuote(v) + "\n")
	}
	// A plain setting full of specials travels on the ExecStart line: it
	// must survive systemd's own parsing (specifiers, $, quotes).
	env.WriteString("REGION_NAME=" + envQuote(regionValue) + "\n")
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
	checks := map[string][2]string{ // container -> variable, .env key
		"hotstack-os-heat-api":       {"REGION_NAME", "REGION_NAME"},
		"hotstack-os-mariadb":        {"MYSQL_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD"},
		"hotstack-os-keystone":       {"KEYSTONE_ADMIN_PASSWORD", "KEYSTONE_ADMIN_PASSWORD"},
		"hotstack-os-glance":         {"GLANCE_DB_PASSWORD", "DB_PASSWORD"},
		"hotstack-os-nova-conductor": {"METADATA_SECRET", "SERVICE_PASSWORD"},
		"hotstack-os-rabbitmq":       {"RABBITMQ_DEFAULT_PASS", "RABBITMQ_DEFAULT_PASS"},
	}
	for container, c := range checks {
		got, found := "", false
		for _, line := range strings.Split(s.MustExec(t, "podman", "exec", container, "env"), "\n") {
			if v, ok := strings.CutPrefix(line, c[0]+"="); ok {
				got, found = v, true
			}
		}
		want := secretValues()[c[1]]
		if c[1] == "REGION_NAME" {
			want = regionValue
		}
		if !found || got != want {
			t.Errorf("%s: %s = %q, want %q", container, c[0], got, want)
		}
	}

	haystacks := map[string]string{
		"ps during start": psSeen,
		"systemctl show":  s.MustExec(t, "sh", "-c", "systemctl show 'hotstack-os*'"),
		"the journal":     s.MustExec(t, "journalctl", "--no-pager", "-o", "verbose"),
		// Files a non-root user can read (permissions of every directory on
		// the way included): grep runs as nobody over where the stack writes.
		"files readable by a non-root user": s.MustExec(t, "sh", "-c",
			"setpriv --reuid=65534 --regid=65534 --clear-groups grep -rl --exclude-dir=proc "+
				"-e zqAdm1nzq -e zqR00tzq -e zqDbzq -e zqSvczq -e zqRabzq /etc /run /var /usr/local /tmp /root 2>/dev/null | "+
				"sed 's/$/: zqAdm1nzq zqR00tzq zqDbzq zqSvczq zqRabzq/'; true"),
	}
	// The file search must be able to find a leak: a planted control is seen.
	s.WriteFile(t, "/var/tmp/hotstack-control", "zqCtlzq\n", 0o644)
	if out := s.MustExec(t, "sh", "-c", "setpriv --reuid=65534 --regid=65534 --clear-groups grep -rl zqCtlzq /var/tmp; true"); !strings.Contains(out, "hotstack-control") {
		t.Fatalf("the non-root file search misses a planted world-readable file: %q", out)
	}
	for where, text := range haystacks {
		for key, v := range secretValues() {
			// The distinctive prefix of each value is enough to trace it.
			needle := strings.Fields(v)[0]
			if strings.Contains(text, needle) {
				t.Errorf("%s leaks %s (%q):\n%s", where, key, needle, linesWith(text, needle))
			}
		}
	}
	s.withEnv(t, "")
}

func linesWith(text, needle string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, needle) && len(out) < 5 {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
