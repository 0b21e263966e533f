package entrypoint

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
)

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestRenderSecretsKeepsEveryByte: a whole-value secret is quoted with "$"
// doubled, a URL one percent-encoded, and both read back byte-identical.
func TestRenderSecretsKeepsEveryByte(t *testing.T) {
	awkward := `p@ss w%rd$HOME"'\;#/:?&=` + "\t\u00e9"
	tmpl := "[database]\nconnection = mysql+pymysql://openstack:${url:DB}@10.0.0.3/nova\n\n[keystone_authtoken]\npassword = ${PW}\n"
	out, skipped, err := RenderSecrets("nova.secrets.conf", tmpl, lookup(map[string]string{"DB": awkward, "PW": awkward}))
	if err != nil || len(skipped) != 0 {
		t.Fatalf("render: %v %v", err, skipped)
	}
	ini := Ini{}
	ini.Parse(out)
	if got := ini.Get("keystone_authtoken", "password"); got != awkward {
		t.Errorf("password reads back as %q, want %q\n%s", got, awkward, out)
	}
	conn := ini.Get("database", "connection")
	if strings.ContainsAny(conn, " $\"'#") || !strings.Contains(conn, "p%40ss%20w%25rd%24HOME") {
		t.Errorf("connection %q is not percent-encoded", conn)
	}
	if addr, err := URLHost(conn, "3306"); err != nil || addr != "10.0.0.3:3306" {
		t.Errorf("URLHost of the connection = %q, %v", addr, err)
	}
}

// TestRenderSecretsSkipsUnsetVariables: a line whose variable the
// container lacks is left out and reported; the rest stays.
func TestRenderSecretsSkipsUnsetVariables(t *testing.T) {
	tmpl := "[neutron]\npassword = ${PW}\nmetadata_proxy_shared_secret = ${METADATA_SECRET}\n"
	out, skipped, err := RenderSecrets("n", tmpl, lookup(map[string]string{"PW": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "metadata_proxy_shared_secret") || !strings.Contains(out, `password = "x"`) {
		t.Errorf("rendered:\n%s", out)
	}
	if len(skipped) != 1 || skipped[0].Line != 3 || skipped[0].Variable != "METADATA_SECRET" || skipped[0].Option != "metadata_proxy_shared_secret" {
		t.Errorf("skipped = %+v", skipped)
	}
}

func TestRenderSecretsRefusesMalformedTemplates(t *testing.T) {
	env := lookup(map[string]string{"A": "a", "NL": "x\ny"})
	for tmpl, want := range map[string]string{
		"password = pre-${A}\n":  "t:1: password: ${NAME} must be the whole value",
		"password = ${A\n":       "t:1: malformed reference",
		"[${A}]\n":               "t:1: a ${...} reference must be in an option's value",
		"password = ${NL}\n":     "t:1: password: the value holds a line break",
		"x = ${url:A} ${1bad}\n": "t:1: malformed reference",
	} {
		if _, _, err := RenderSecrets("t", tmpl, env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", tmpl, err, want)
		}
	}
}

func TestIniLaterWinsAndUnquotes(t *testing.T) {
	ini := Ini{}
	ini.Parse("# comment\n[DEFAULT]\ndebug = false\n[database]\nconnection = a\n")
	ini.Parse("[database]\nconnection = \"b$$c\"\n; other\n")
	if ini.Get("database", "connection") != "b$c" || ini.Get("DEFAULT", "debug") != "false" || ini.Get("x", "y") != "" {
		t.Errorf("ini = %v", ini)
	}
}

func TestDropSections(t *testing.T) {
	in := "[DEFAULT]\nhost = a\n[database]\nconnection = x\n[api_database]\nconnection = y\n[placement]\npassword = p\n"
	got := dropSections(in, []string{"database", "api_database"})
	if got != "[DEFAULT]\nhost = a\n[placement]\npassword = p\n" {
		t.Errorf("dropSections:\n%s", got)
	}
}

func TestURLHostNamesNoSecret(t *testing.T) {
	// Without a host the value is quoted, its password masked.
	_, err := URLHost("mysql+pymysql://openstack:s3cr3t@/nova", "3306")
	if want := `cannot find a host in "mysql+pymysql://openstack:xxxxx@/nova"`; err == nil || err.Error() != want {
		t.Errorf("no host: %v", err)
	}
	// A value that is no URL is not quoted at all (url.Parse's own error
	// would quote it, password and all).
	if _, err := URLHost("rabbit://openstack:s3cr%zz3t@10.0.0.4:5672/", "5672"); err == nil || strings.Contains(err.Error(), "s3cr") {
		t.Errorf("not a URL: %v", err)
	}
	if addr, err := URLHost("tcp://172.31.0.31:6641", "6641"); err != nil || addr != "172.31.0.31:6641" {
		t.Errorf("URLHost = %q %v", addr, err)
	}
}

// TestNovaInputsHoldNoPassword: the cell databases' URLs go into a stamp
// that is a plain hash, so their passwords are masked; the rest of each
// URL stays, so a changed address still changes the stamp.
func TestNovaInputsHoldNoPassword(t *testing.T) {
	conf := Ini{}
	conf.Parse("[DEFAULT]\ntransport_url = rabbit://openstack:s3cr3t@10.0.0.4:5672/\n" +
		"[database]\nconnection = mysql+pymysql://openstack:s3cr3t@10.0.0.3/nova?charset=utf8\n" +
		"[api_database]\nconnection = mysql+pymysql://openstack:s3cr3t@10.0.0.3/nova_api\n")
	inputs, err := novaInputs(&Container{Service: "nova-api", conf: conf})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rabbit://{username}:{password}@10.0.0.4:5672/",
		"mysql+pymysql://openstack:xxxxx@10.0.0.3/nova?charset=utf8",
		"mysql+pymysql://openstack:xxxxx@10.0.0.3/nova_api"}
	if !slices.Equal(inputs, want) {
		t.Errorf("inputs %q\nwant   %q", inputs, want)
	}

	conf.Parse("[api_database]\nconnection = mysql+pymysql://openstack:s3cr%zz3t@10.0.0.3/nova_api\n")
	if _, err := novaInputs(&Container{Service: "nova-api", conf: conf}); err == nil || strings.Contains(err.Error(), "s3cr") {
		t.Errorf("a connection that is not a URL: %v", err)
	}
}

func TestMountNFSRefusesWhatItCannotBind(t *testing.T) {
	for args, want := range map[string]string{
		"":                               "usage: mount.nfs",
		"server /mnt":                    `"server" is not HOST:/PATH`,
		"127.0.0.1:/no/such/export /mnt": "is not in this container",
	} {
		err := MountNFS(strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("mount.nfs %s: %v, want %q", args, err, want)
		}
	}
}

// TestSupervisorRunsAndReaps: exit codes, standard input and output, and
// a command's failure named.
func TestSupervisorRunsAndReaps(t *testing.T) {
	s, _ := testSupervisor(t, time.Minute)
	ctx := context.Background()
	out, err := s.Output(ctx, Proc{Argv: []string{"sh", "-c", "read line; echo got:$line"}, Stdin: "secret-by-stdin\n"})
	if err != nil || strings.TrimSpace(out) != "got:secret-by-stdin" {
		t.Fatalf("output %q, %v", out, err)
	}
	if err := s.Run(ctx, Proc{Argv: []string{"sh", "-c", "exit 3"}}); err == nil || !strings.Contains(err.Error(), "sh -c exit 3 exited with code 3") {
		t.Fatalf("run: %v", err)
	}
	st, err := s.Start(Proc{Argv: []string{"sleep", "30"}})
	if err != nil {
		t.Fatal(err)
	}
	st.Signal(syscall.SIGKILL)
	if code := st.Wait(); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("killed process exit code %d", code)
	}
	st.Signal(syscall.SIGKILL) // reaped: its PID is not signalled again
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx, Proc{Argv: []string{"sleep", "30"}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("run past its context: %v", err)
	}
}

// TestServeEndsWithTheMainProcess: the container's status is the main
// process's; a helper process that ends first takes it down with 1.
func TestServeEndsWithTheMainProcess(t *testing.T) {
	sup, _ := testSupervisor(t, time.Minute)
	c := &Container{Service: "test", sup: sup, env: os.LookupEnv, conf: Ini{}}
	ready := t.TempDir() + "/ready"
	err := c.serve(context.Background(), nil, ready, Proc{Argv: []string{"sh", "-c", "exit 7"}})
	var exit *exitcode.Error
	if !errors.As(err, &exit) || exit.Code != 7 {
		t.Fatalf("serve = %v, want exit 7", err)
	}
	if _, err := os.Stat(ready); err != nil {
		t.Errorf("ready file: %v", err)
	}
	start := time.Now()
	err = c.serve(context.Background(), nil, ready, Proc{Argv: []string{"sleep", "30"}}, Proc{Argv: []string{"sh", "-c", "exit 0"}})
	if !errors.As(err, &exit) || exit.Code == 0 || time.Since(start) > 10*time.Second {
		t.Fatalf("a helper process ending: %v after %s", err, time.Since(start))
	}
	err = c.serve(context.Background(), func(context.Context) error { return errors.New("users not set up") }, ready, Proc{Argv: []string{"sleep", "30"}})
	if err == nil || !strings.Contains(err.Error(), "users not set up") {
		t.Fatalf("a failing after step: %v", err)
	}
	// A server that dies while the after step waits for it (RabbitMQ's
	// "BOOT FAILED") ends the wait: the step's context is cancelled, and
	// the error says which process exited.
	waited := make(chan error, 1)
	err = c.serve(context.Background(), func(ctx context.Context) error {
		<-ctx.Done()
		waited <- ctx.Err()
		return ctx.Err()
	}, ready, Proc{Argv: []string{"sh", "-c", "exit 3"}})
	if err == nil || !strings.Contains(err.Error(), "exited during start-up") || <-waited == nil {
		t.Fatalf("a server dying during the after step: %v", err)
	}
}

// TestOptionFileKeepsEveryByte: in an option file (*.cnf) a secret is
// quoted but not escaped, as PyMySQL's reader (RawConfigParser, one pair
// of quotes stripped) wants.
func TestOptionFileKeepsEveryByte(t *testing.T) {
	awkward := `-${DB} %% \"q\" tail $HOME `
	out, _, err := RenderSecrets("db.cnf", "[client]\npassword = ${PW}\n", lookup(map[string]string{"PW": awkward}))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[client]\npassword = \"" + awkward + "\"\n"; out != want {
		t.Errorf("db.cnf:\n%s\nwant:\n%s", out, want)
	}
}

// TestCellTransportKeepsNoSecret: cell1's mapping gets the credentials as
// nova's placeholders and everything else literally; what nova fills back
// in (the reading service's username and password, as Python's urlparse
// splits them: still percent-encoded) gives the configured URL again.
func TestCellTransportKeepsNoSecret(t *testing.T) {
	secret := url.UserPassword("open stack", `p@ss:w%rd/{x},`)
	configured := "rabbit://" + secret.String() + "@172.31.0.13:5672/"
	got, err := cellTransport(configured)
	if err != nil {
		t.Fatal(err)
	}
	if want := "rabbit://{username}:{password}@172.31.0.13:5672/"; got != want {
		t.Fatalf("cellTransport = %q, want %q", got, want)
	}
	user, pass, _ := strings.Cut(secret.String(), ":")
	if filled := strings.NewReplacer("{username}", user, "{password}", pass).Replace(got); filled != configured {
		t.Fatalf("filled in: %q, want %q", filled, configured)
	}
	if got, _ := cellTransport("rabbit://guest@mq:5672/vhost?ssl=1"); got != "rabbit://guest@mq:5672/vhost?ssl=1" {
		t.Errorf("a URL without a password changed: %q", got)
	}
	for _, bad := range []string{"", "not a url", "rabbit://u:p@a:5672,u:p@b:5672/", "rabbit://u:p@a,b:5672/"} {
		_, err := cellTransport(bad)
		if err == nil {
			t.Errorf("cellTransport(%q) took a URL it cannot template", bad)
		} else if strings.Contains(err.Error(), "u:p@") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

// TestLoggingConf: the logging configuration every OpenStack service gets
// writes to stdout through oslo.log's formatter (no colour handler), at
// the level DEBUG_LOGGING asks, with oslo.log's quiet libraries kept quiet.
func TestLoggingConf(t *testing.T) {
	for _, debug := range []bool{false, true} {
		conf := LoggingConf(debug)
		want := map[bool]string{false: "[logger_root]\nlevel = INFO\nhandlers = stdout\n", true: "[logger_root]\nlevel = DEBUG\nhandlers = stdout\n"}[debug]
		for _, s := range []string{want, "class = StreamHandler\nargs = (sys.stdout,)", "class = oslo_log.formatters.ContextFormatter", "qualname = amqp\nlevel = WARNING"} {
			if !strings.Contains(conf, s) {
				t.Errorf("LoggingConf(%v) lacks %q:\n%s", debug, s, conf)
			}
		}
		if strings.Contains(conf, "Color") {
			t.Errorf("LoggingConf(%v) uses a colour handler", debug)
		}
	}
}

// TestAfterStartContextOutlivesTheStep: what a successful after step
// starts in the background (ovn-controller's tap guard) keeps its context
// while the service runs; it ends with the service.
func TestAfterStartContextOutlivesTheStep(t *testing.T) {
	sup, _ := testSupervisor(t, time.Minute)
	c := &Container{Service: "test", sup: sup, env: os.LookupEnv, conf: Ini{}}
	st, err := sup.Start(Proc{Argv: []string{"sleep", "30"}})
	if err != nil {
		t.Fatal(err)
	}
	var kept context.Context
	if err := c.afterStart(context.Background(), func(ctx context.Context) error { kept = ctx; return nil }, []*Started{st}); err != nil {
		t.Fatal(err)
	}
	if kept.Err() != nil {
		t.Fatalf("the after step's context ended with the step, while the service runs: %v", kept.Err())
	}
	st.Signal(syscall.SIGKILL)
	<-kept.Done() // and ends with the service (a hang here is the failure)
}
