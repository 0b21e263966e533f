// Package entrypoint is PID 1 of every HotStack-OS container built by
// `mage images`: `hotstack-os entrypoint SERVICE`, from the helper binary
// mounted into the container. For its service it waits for what the
// service needs, completes the configuration with the secrets from the
// container environment, creates or upgrades the database, registers the
// service in Keystone, then runs the service in the foreground and hands
// it every signal the container gets. Every step is idempotent, so a
// restart, or a whole down and up, destroys nothing.
package entrypoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/retry"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// Paths inside every container.
const (
	// SecretsDir holds the service's secrets templates (mounted read-only).
	SecretsDir = units.SecretsMount
	// ReadyFile is written once the service's bootstrap is complete; the
	// health commands of services whose readiness the port alone cannot
	// tell (MariaDB, RabbitMQ) test it.
	ReadyFile = stack.ReadyFile
	// dependencyTimeout bounds each wait for a dependency: past it the
	// container exits and systemd restarts it, which a long outage needs.
	dependencyTimeout = 3 * time.Minute
	// stopMargin: the supervisor's stop timeout ends this long before
	// podman's own SIGKILL, so that a process that outstays its stop is
	// killed by PID 1, which then still reaps it, says so and exits with
	// the main process's status.
	stopMargin = 2 * time.Second
)

// stopTimeout is how long the service's processes get after SIGTERM before
// PID 1 SIGKILLs them: a little under the unit's `podman stop -t`, which is
// the service's stack.Service.StopTimeout (10 s for every service today).
func stopTimeout(service string) time.Duration {
	limit := stack.DefaultStopTimeout
	if st, err := stack.Default(); err == nil {
		if svc := st.Get(service); svc != nil {
			limit = svc.StopTimeout
		}
	}
	return max(limit-stopMargin, limit/2)
}

// Container is the running container as the recipes see it.
type Container struct {
	Service string
	Args    []string // the container command's arguments after the service
	sup     *Supervisor
	env     func(string) (string, bool)
	conf    Ini
}

// Logf prints one line to the container's output (the journal).
func (c *Container) Logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "hotstack-os entrypoint %s: %s\n", c.Service, fmt.Sprintf(format, a...))
}

// Env returns a container variable.
func (c *Container) Env(name string) string {
	v, _ := c.env(name)
	return v
}

// Recipe starts one service; an *exitcode.Error carries the main process's
// exit status.
type Recipe func(ctx context.Context, c *Container) error

// Run is `hotstack-os entrypoint SERVICE [ARGS...]`. It returns the exit
// status for the container.
func Run(ctx context.Context, service string, args []string) int {
	recipe, ok := Recipes()[service]
	if !ok {
		fmt.Fprintf(os.Stderr, "hotstack-os entrypoint: unknown service %q; known: %s\n", service, strings.Join(Names(), ", "))
		return exitcode.Usage
	}
	c := &Container{Service: service, Args: args, env: os.LookupEnv, conf: Ini{}}
	c.sup = NewSupervisor(stopTimeout(service), c.Logf)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-c.sup.Stopping()
		cancel()
	}()
	err := recipe(ctx, c)
	var exit *exitcode.Error
	switch {
	case err == nil:
		return exitcode.OK
	case errors.As(err, &exit):
		return exit.Code
	case errors.Is(err, ErrStopping) || ctx.Err() != nil:
		c.Logf("stopped during bootstrap")
		return 143
	}
	c.Logf("failed: %v", err)
	return exitcode.Failure
}

// Names lists the services that have a recipe.
func Names() []string {
	var out []string
	for n := range Recipes() {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Secrets renders every template in SecretsDir: oslo.config ones into
// /etc/PROJECT/PROJECT.conf.d/, option files (*.cnf) into /etc/PROJECT/,
// mode 0640 for PROJECT's group; and reads the oslo.config ones together
// with the service's public config files, so recipes can find their
// database, message bus and Keystone.
func (c *Container) Secrets(project string, configs ...string) error {
	return c.SecretsWithout(project, nil, configs...)
}

// SecretsWithout is Secrets leaving out whole sections of the templates:
// nova-compute must not know the databases (with [api_database] set it
// takes itself for a conductor and tries to read them).
func (c *Container) SecretsWithout(project string, drop []string, configs ...string) error {
	for _, f := range configs {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", f, err)
		}
		c.conf.Parse(string(data))
	}
	templates, err := filepath.Glob(filepath.Join(SecretsDir, "*"))
	if err != nil || len(templates) == 0 {
		return err
	}
	dir := filepath.Join("/etc", project, project+".conf.d")
	gid := groupID(project)
	d, err := ownedDir(dir, 0, gid, 0o750)
	if err != nil {
		return err
	}
	d.Close()
	for _, t := range templates {
		data, err := os.ReadFile(t)
		if err != nil {
			return err
		}
		out, skipped, err := RenderSecrets(t, string(data), c.env)
		if err != nil {
			return err
		}
		for _, s := range skipped {
			c.Logf("%s:%d: %s left unset: $%s is not in this container's environment", filepath.Base(t), s.Line, s.Option, s.Variable)
		}
		// An option file (the database password) goes beside the
		// project's configuration, where its connection names it.
		if SyntaxOf(t) == OptionFile {
			if err := writeFile(filepath.Join("/etc", project, filepath.Base(t)), out, 0o640, gid); err != nil {
				return err
			}
			continue
		}
		out = dropSections(out, drop)
		if err := writeFile(filepath.Join(dir, filepath.Base(t)), out, 0o640, gid); err != nil {
			return err
		}
		c.conf.Parse(out)
	}
	return c.plainLogging(project, dir, gid)
}

// plainLogging points the project's oslo.log at a logging configuration
// that writes plain lines to stdout. Left to itself, oslo.log logs to
// stdout through its ColorHandler, which ends every line with a terminal
// colour reset (ESC[00m) even when stdout is the journal.
func (c *Container) plainLogging(project, confDir string, gid int) error {
	file := filepath.Join("/etc", project, "hotstack-os-logging.conf")
	if err := writeFile(file, LoggingConf(c.conf.Get("DEFAULT", "debug") == "true"), 0o644, gid); err != nil {
		return err
	}
	return c.Fragment(project, "zz-logging.conf", "[DEFAULT]\nlog_config_append = "+file+"\n")
}

// quietLoggers are oslo.log's default_log_levels above INFO: with
// log_config_append oslo.log no longer applies them itself.
var quietLoggers = []string{"amqp", "amqplib", "sqlalchemy", "iso8601", "urllib3.connectionpool", "urllib3.util.retry",
	"requests.packages.urllib3.connectionpool", "websocket", "keystonemiddleware", "routes.middleware", "stevedore",
	"taskflow", "keystoneauth"}

// LoggingConf is a Python logging configuration (logging.config.fileConfig)
// with oslo.log's own formatter, its request context and format options
// included, on a plain stream handler to stdout.
func LoggingConf(debug bool) string {
	level := "INFO"
	if debug {
		level = "DEBUG"
	}
	var b strings.Builder
	keys := []string{"root"}
	for i := range quietLoggers {
		keys = append(keys, fmt.Sprintf("quiet%d", i))
	}
	fmt.Fprintf(&b, "# Written by hotstack-os at the container's start.\n[loggers]\nkeys = %s\n\n", strings.Join(keys, ", "))
	b.WriteString("[handlers]\nkeys = stdout\n\n[formatters]\nkeys = context\n\n")
	fmt.Fprintf(&b, "[logger_root]\nlevel = %s\nhandlers = stdout\n\n", level)
	for i, name := range quietLoggers {
		fmt.Fprintf(&b, "[logger_quiet%d]\nqualname = %s\nlevel = WARNING\nhandlers =\n\n", i, name)
	}
	b.WriteString("[handler_stdout]\nclass = StreamHandler\nargs = (sys.stdout,)\nformatter = context\n\n")
	b.WriteString("[formatter_context]\nclass = oslo_log.formatters.ContextFormatter\ndatefmt = %Y-%m-%d %H:%M:%S\n")
	return b.String()
}

// dropSections removes the named sections from an ini text.
func dropSections(text string, drop []string) string {
	if len(drop) == 0 {
		return text
	}
	var b strings.Builder
	skip := false
	for _, line := range strings.SplitAfter(text, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			skip = slices.Contains(drop, strings.TrimSpace(t[1:len(t)-1]))
		}
		if !skip {
			b.WriteString(line)
		}
	}
	return b.String()
}

// Fragment writes a generated (non-secret) config fragment into the
// project's conf.d, e.g. the detected virtualization type.
func (c *Container) Fragment(project, name, content string) error {
	dir := filepath.Join("/etc", project, project+".conf.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	c.conf.Parse(content)
	return writeFile(filepath.Join(dir, name), content, 0o644, groupID(project))
}

// groupID is the gid of group name in the image, or 0.
func groupID(name string) int {
	cred, err := credential(name)
	if err != nil {
		return 0
	}
	return int(cred.Gid)
}

// Conf returns an option of the service's configuration.
func (c *Container) Conf(section, key string) string { return c.conf.Get(section, key) }

// Run runs a bootstrap command to completion.
func (c *Container) Run(ctx context.Context, p Proc) error {
	start, cpu := time.Now(), childrenCPU()
	c.Logf("running %s", p)
	if err := c.sup.Run(ctx, p); err != nil {
		return err
	}
	// Bootstrap commands run one at a time, so the reaped children's CPU
	// time that grew meanwhile is this command's: what `up` spends on it.
	c.Logf("%s done in %s, %s CPU", p.Argv[0], time.Since(start).Round(100*time.Millisecond), (childrenCPU() - cpu).Round(10*time.Millisecond))
	return nil
}

// childrenCPU is the user and system time of every reaped child so far.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Serve starts the service's processes (the first is the main one), runs
// after, if any, while they run, marks the container ready, and waits. The
// container ends with the main process; a helper process that ends first
// takes the others down with it, so systemd restarts the whole container.
func (c *Container) Serve(ctx context.Context, after func(context.Context) error, procs ...Proc) error {
	return c.serve(ctx, after, ReadyFile, procs...)
}

// afterStart runs after while the started processes run, ending it when one
// of them exits first: a server that failed to boot (RabbitMQ's "BOOT
// FAILED") would otherwise leave after waiting for it until its deadline.
//
// The context after gets outlives a successful after: what after starts in
// the background (ovn-controller's tap guard, keepTapsUp) runs on with it
// until the container's processes end.
func (c *Container) afterStart(ctx context.Context, after func(context.Context) error, running []*Started) error {
	actx, cancel := context.WithCancelCause(ctx)
	for _, st := range running {
		go func() {
			select {
			case <-st.Done():
				cancel(fmt.Errorf("%s exited during start-up", st.Proc))
			case <-actx.Done():
			}
		}()
	}
	err := after(actx)
	if err == nil {
		go func() { // released once every process has ended
			for _, st := range running {
				<-st.Done()
			}
			cancel(nil)
		}()
		return nil
	}
	cause := context.Cause(actx)
	cancel(nil) // the container stops: so does what after started
	if cause != nil && ctx.Err() == nil {
		return cause
	}
	return err
}

func (c *Container) serve(ctx context.Context, after func(context.Context) error, readyFile string, procs ...Proc) error {
	var running []*Started
	for _, p := range procs {
		c.Logf("starting %s", p)
		st, err := c.sup.Start(p)
		if errors.Is(err, ErrStopping) && len(running) > 0 {
			// The stop began while the service was starting: what runs
			// had the signal, and the container ends with the main
			// process's status, as below.
			for _, st := range running {
				st.Wait()
			}
			return exitStatus(running[0].Wait())
		}
		if err != nil {
			c.sup.StopAll(running...)
			return err
		}
		running = append(running, st)
	}
	if after != nil {
		if err := c.afterStart(ctx, after, running); err != nil {
			c.sup.StopAll(running...)
			return err
		}
	}
	if err := markReady(readyFile); err != nil {
		c.Logf("cannot write %s: %v", readyFile, err)
	}
	c.Logf("ready")
	ended := make(chan *Started, len(running))
	for _, st := range running {
		go func() {
			<-st.Done()
			ended <- st
		}()
	}
	first := <-ended
	code := first.Wait()
	select {
	case <-c.sup.Stopping():
		// Every process has had the stop signal, and the stop timeout
		// bounds them. A helper may end first: the container's status is
		// still the main process's.
		for _, st := range running {
			st.Wait()
		}
		code = running[0].Wait()
	default:
		c.Logf("%s exited with code %d; stopping the container", first.Proc.Argv[0], code)
		if first != running[0] && code == 0 {
			code = 1
		}
		c.sup.StopAll(running...)
	}
	return exitStatus(code)
}

// exitStatus is the error PID 1 ends with for a main process's exit code.
func exitStatus(code int) error {
	if code == 0 {
		return nil
	}
	return &exitcode.Error{Code: code, Err: fmt.Errorf("main process exited with code %d", code)}
}

// markReady writes the ready file.
func markReady(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// WaitTCP waits until addr accepts connections, saying every ten seconds
// what it waits for.
func (c *Container) WaitTCP(ctx context.Context, what, addr string) error {
	start := time.Now()
	next := start.Add(10 * time.Second)
	err := retry.Do(ctx, retry.Every(250*time.Millisecond, dependencyTimeout), func(ctx context.Context) error {
		d := net.Dialer{Timeout: 2 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if time.Now().After(next) {
				c.Logf("waiting for %s at %s: %v", what, addr, err)
				next = time.Now().Add(10 * time.Second)
			}
			return err
		}
		conn.Close()
		return nil
	})
	switch {
	case err == nil:
		if waited := time.Since(start); waited > time.Second {
			c.Logf("%s at %s answers (after %s)", what, addr, waited.Round(100*time.Millisecond))
		}
		return nil
	case errors.Is(err, retry.ErrDeadline):
		return fmt.Errorf("%s at %s did not answer within %s: %w", what, addr, dependencyTimeout, err)
	}
	return ctx.Err()
}

// URLHost returns host:port of a URL-style option value (a database
// connection, a transport URL, an auth URL), with defaultPort when the URL
// has none.
func URLHost(raw, defaultPort string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the value, password and all.
		return "", errors.New("cannot find a host: the value is not a URL (not quoted here, as it may hold a password)")
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("cannot find a host in %q", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// WaitDatabase waits for the database named in section's connection.
func (c *Container) WaitDatabase(ctx context.Context, section string) error {
	conn := c.Conf(section, "connection")
	if conn == "" {
		return fmt.Errorf("[%s] connection is not set; is its secret variable in the container environment?", section)
	}
	addr, err := URLHost(conn, "3306")
	if err != nil {
		return fmt.Errorf("[%s] connection: %w", section, err)
	}
	return c.WaitTCP(ctx, "MariaDB", addr)
}

// WaitRabbit waits for the message bus of [DEFAULT] transport_url.
func (c *Container) WaitRabbit(ctx context.Context) error {
	addr, err := URLHost(c.Conf("DEFAULT", "transport_url"), "5672")
	if err != nil {
		return fmt.Errorf("[DEFAULT] transport_url: %w", err)
	}
	return c.WaitTCP(ctx, "RabbitMQ", addr)
}

// OwnIPv4 is the container's address on the stack network: the internal
// endpoints point there directly, not through haproxy.
func OwnIPv4() (string, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String(), nil
		}
	}
	return "", errors.New("the container has no IPv4 address besides loopback")
}

// Own makes path belong to user (and its group), creating it as a
// directory with mode when missing; it does not recurse.
func Own(path, user string, mode fs.FileMode) error {
	cred, err := credential(user)
	if err != nil {
		return err
	}
	dir, err := ownedDir(path, int(cred.Uid), int(cred.Gid), mode)
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Chmod(mode)
}
