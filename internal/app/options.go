// Package app is hotstack-os's application layer: what each mage target
// (one file per target) and the helper binary's commands do. It is built
// from one Options, parsed once per run from the HOTSTACK_* switches
// (internal/settings); the .env is read at most once, on first use. Every
// external command goes through o.Runner and systemd through o.Systemd, so
// the targets run against fakes in tests.
package app

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/exitcode"
	"github.com/hotstack-os/hotstack-os/internal/install"
	"github.com/hotstack-os/hotstack-os/internal/settings"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/internal/ui"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

// Options are everything a run depends on.
type Options struct {
	settings.Settings

	Paths  units.Paths
	Stack  *stack.Stack
	Runner execx.Runner
	// Systemd connects to the system manager. install, uninstall and plan
	// use it on the live system only (root "/"); up, down and status
	// always.
	Systemd func(ctx context.Context) (systemd.Manager, error)
	// BuildHelper returns the helper binary's bytes.
	BuildHelper func(ctx context.Context) ([]byte, error)

	Log    zerolog.Logger
	Stdout io.Writer // status, plan, graph and logs print here
	Stderr io.Writer // up's progress view, and purge's question
	// Stdin is where purge reads its answer, and Interactive whether it is
	// a terminal (someone to ask): off a terminal, purge asks no one and
	// needs HOTSTACK_PURGE_CONFIRM=yes.
	Stdin       io.Reader
	Interactive bool
	// LiveView redraws up's progress in place (a terminal).
	LiveView bool
	// Environ is the process environment, consulted only to warn about
	// .env keys it sets too.
	Environ func() []string
	// RunLock keeps two up/down runs from driving the stack at once.
	RunLock string
	// Args is the command line and Exit ends the process, for
	// `mage logs SERVICE` (see LogsTarget).
	Args []string
	Exit func(code int)
}

// runLock is the production RunLock.
const runLock = "/run/lock/hotstack-os-run.lock"

// Production returns the options of a real run: the switches from the
// process environment, this host's commands, systemd on the system bus,
// output on the terminal.
func Production() (Options, error) {
	s, err := settings.FromEnv()
	if err != nil {
		return Options{}, err
	}
	st, err := stack.Default()
	if err != nil {
		return Options{}, err
	}
	format := ui.DetectFormat(s.JSONLogs)
	o := Options{
		Settings: s,
		Paths:    units.DefaultPaths(),
		Stack:    st,
		Runner:   execx.System{},
		Systemd:  func(ctx context.Context) (systemd.Manager, error) { return systemd.Connect(ctx) },
		Log:      ui.NewLogger(os.Stderr, format),
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Stdin:    os.Stdin,
		// golang.org/x/term (TCGETS on Linux): a pipe, a file or
		// /dev/null is no terminal.
		Interactive: term.IsTerminal(int(os.Stdin.Fd())),
		LiveView:    format == ui.Console && ui.IsTerminal(os.Stderr),
		Environ:     os.Environ,
		RunLock:     runLock,
		Args:        os.Args,
		Exit:        os.Exit,
	}
	o.BuildHelper = func(ctx context.Context) ([]byte, error) { return install.BuildHelper(ctx, o.Runner) }
	return o, nil
}

// App runs the targets.
type App struct {
	o      Options
	config func() (*config.Config, error)
	key    func() ([]byte, error) // the fingerprint key (loadKey)
	// stdin buffers o.Stdin once for the run, so that a second question
	// reads what the first one's buffer took.
	stdin *bufio.Reader
}

// New returns the app for o.
func New(o Options) *App {
	a := &App{o: o}
	if o.Stdin != nil {
		a.stdin = bufio.NewReader(o.Stdin)
	}
	a.config = sync.OnceValues(a.loadConfig)
	a.key = sync.OnceValues(a.loadKey)
	return a
}

// FromEnv returns the app of a real run (see Production).
func FromEnv() (*App, error) {
	o, err := Production()
	if err != nil {
		return nil, err
	}
	return New(o), nil
}

// Target is the work of one mage target. Method expressions of App's
// targets ((*App).Up) are Targets.
type Target func(a *App, ctx context.Context) error

// Run runs target on the app build returns (mage shares one app between
// the targets of a run), with a context that Ctrl-C or SIGTERM cancels:
// mage forwards neither to targets. The error carries the exit status
// mage exits with (see exitcode.Error). In the JSON modes the error is
// written as one JSON object on stderr and the process ends there, so
// mage does not print it again as text.
func Run(build func() (*App, error), target Target) error {
	return run(build, target, os.Stderr, os.Exit)
}

func run(build func() (*App, error), target Target, stderr io.Writer, exitFn func(int)) error {
	a, err := build()
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = target(a, ctx)
	}
	if err == nil {
		return nil
	}
	if jsonErrors(a, err) {
		if !errors.Is(err, exitcode.ErrChangesPending) { // plan's exit 2 is a result, not an error
			ui.WriteErrorJSON(stderr, err)
		}
		exitFn(exitcode.Code(err))
	}
	return exitcode.Wrap(err)
}

// jsonErrors reports whether the run asked for JSON (HOTSTACK_LOG_FORMAT
// or HOTSTACK_OUTPUT), also when the switches themselves were wrong.
func jsonErrors(a *App, err error) bool {
	if a != nil {
		return a.o.JSON()
	}
	var se *settings.Error
	return errors.As(err, &se) && se.JSON
}

// loadConfig reads the .env (or the built-in defaults, saying so) and
// validates it against the stack's schema. It runs once per run, so each
// warning is printed once.
func (a *App) loadConfig() (*config.Config, error) {
	stored, err := config.ReadStoredSecrets(install.Rooted(a.o.Root, a.o.Paths.GeneratedSecretsFile()))
	if err != nil {
		return nil, err
	}
	cfg, usedDefaults, err := config.LoadOrDefaults(a.o.EnvFile, a.o.Stack.Schema(), config.Options{Environ: a.o.Environ, StoredSecrets: stored})
	if err != nil {
		return nil, err
	}
	if keys := cfg.NewSecrets(); len(keys) > 0 {
		a.o.Log.Info().Msgf("generated %d secrets %s leaves unset (%s); install keeps them in %s, mode 0600",
			len(keys), cfg.File, strings.Join(keys, ", "), a.o.Paths.GeneratedSecretsFile())
	}
	if usedDefaults {
		a.o.Log.Info().Msgf("no %s found: using the built-in defaults (see .env.example)", a.o.EnvFile)
	}
	for _, w := range cfg.Warnings {
		a.o.Log.Warn().Msg(w)
	}
	for _, k := range cfg.Shadowed {
		a.o.Log.Warn().Str("key", k).Msgf("%s is set in the process environment too; the value from %s is used", k, cfg.File)
	}
	if keys := cfg.DefaultSecrets(); len(keys) > 0 {
		a.o.Log.Warn().Msgf("%s sets published passwords for %s (accepted because %s=true): anyone may try them; delete those lines to have them generated",
			cfg.File, strings.Join(keys, ", "), config.AllowPublishedKey)
	}
	return cfg, nil
}

// backend connects to systemd and returns the engine's backend, with the
// function that closes the connection.
func (a *App) backend(ctx context.Context) (*systemd.Backend, func(), error) {
	mgr, err := a.o.Systemd(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &systemd.Backend{Manager: mgr, Runner: a.o.Runner, Stack: a.o.Stack}, mgr.Close, nil
}
