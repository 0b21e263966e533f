//go:build e2e

package e2e

import (
	"crypto/rand"
	"strings"
	"testing"
)

// secretSet is one run's secrets: fresh random values, so no file (this
// source, a copy of the test's .env, the build cache, a checkout anywhere)
// can hold them unless the product leaked them. Each value starts with a
// random token found nowhere else, which the leak search looks for, and
// goes on with the characters that quoting, specifiers and env files get
// wrong.
type secretSet struct {
	values map[string]string // .env key -> value
	tokens map[string]string // .env key -> its value's distinctive token
}

// token is a random word of letters, distinctive enough to search for.
func token() string { return "zq" + strings.ToLower(rand.Text()[:16]) + "zq" }

func newSecrets() secretSet {
	tails := map[string]string{
		"KEYSTONE_ADMIN_PASSWORD": ` p@ss w%rd$HOME"'\;#`,
		"MYSQL_ROOT_PASSWORD":     ` %n $$ "x" 'y' \\ z`,
		"DB_PASSWORD":             `-${DB} %% \"q\" tail `,
		"SERVICE_PASSWORD":        ` $(id) ` + "`id`" + ` \n 'end`,
		"RABBITMQ_DEFAULT_PASS":   ` %i%I$1 "'\`,
	}
	s := secretSet{values: map[string]string{}, tokens: map[string]string{}}
	for k, tail := range tails {
		s.tokens[k] = token()
		s.values[k] = s.tokens[k] + tail
	}
	return s
}

// regionValue is not a secret: it is rendered into the unit's command line.
const regionValue = `Reg%ion %n $HOME $$ "dq" \\ ;# end`

// envQuote writes a value for our .env: single quotes are literal, and the
// parser strips only the outer pair, so inner quotes survive.
func envQuote(v string) string { return "'" + v + "'" }

// nonRootSearch is the leak search over files: grep as nobody (so the
// permissions of every directory on the way count) over where the stack
// writes, for the patterns given on stdin (never on a command line). It
// prints file:match for each hit.
const nonRootSearch = "setpriv --reuid=65534 --regid=65534 --clear-groups grep -r -o -F -f - --exclude-dir=proc " +
	"/etc /run /var /usr/local /tmp /root 2>/dev/null; true"

// checkSecrets installs fresh random secrets (and region, when not ""),
// restarts the stack, and checks that the values reach the containers
// byte-identical and leak nowhere; whileSet, when not nil, runs with them
// in force (the real cloud's smoke test). The .env is restored after.
func (s *Stack) checkSecrets(t *testing.T, region string, whileSet func(t *testing.T)) {
	secrets := newSecrets()
	var env strings.Builder
	for k, v := range secrets.values {
		env.WriteString(k + "=" + envQuote(v) + "\n")
	}
	// A plain setting full of specials travels on the ExecStart line: it
	// must survive systemd's own parsing (specifiers, $, quotes).
	if region != "" {
		env.WriteString("REGION_NAME=" + envQuote(region) + "\n")
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
		want := secrets.values[c[1]]
		if c[1] == "REGION_NAME" {
			if region == "" {
				continue
			}
			want = region
		}
		if !found || got != want {
			t.Errorf("%s: %s = %q, want %q", container, c[0], got, want)
		}
	}

	// The file search must find a leak (a value in a world-readable file)
	// and only a leak (a value in a file only root may read is none).
	public, private := token(), token()
	s.WriteFile(t, "/var/tmp/hotstack-control-public", public+"\n", 0o644)
	s.WriteFile(t, "/var/tmp/hotstack-control-private", private+"\n", 0o600)
	var patterns strings.Builder
	for _, tok := range secrets.tokens {
		patterns.WriteString(tok + "\n")
	}
	patterns.WriteString(public + "\n" + private + "\n")
	cmd := s.Command(nil, "sh", "-c", nonRootSearch)
	cmd.Stdin = strings.NewReader(patterns.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("non-root file search: %v\n%s", err, out)
	}
	files := string(out)
	if !strings.Contains(files, "/var/tmp/hotstack-control-public:"+public) {
		t.Fatalf("the non-root file search misses a planted world-readable file:\n%s", files)
	}
	if strings.Contains(files, private) {
		t.Fatalf("the non-root file search reports a file only root may read:\n%s", files)
	}

	// The cloud's own use of the values (whileSet: the real cloud's
	// smoke) comes before the journal is searched, so a service that
	// logs one while working is caught too.
	if whileSet != nil {
		whileSet(t)
	}
	haystacks := map[string]string{
		"ps during start":                   psSeen,
		"systemctl show":                    s.MustExec(t, "sh", "-c", "systemctl show 'hotstack-os*'"),
		"the journal":                       s.MustExec(t, "journalctl", "--no-pager", "-o", "verbose"),
		"files readable by a non-root user": files,
	}
	for where, text := range haystacks {
		for key, tok := range secrets.tokens {
			if strings.Contains(text, tok) {
				t.Errorf("%s leaks %s (%q):\n%s", where, key, tok, linesWith(text, tok))
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
