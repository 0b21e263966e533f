// Package deploy is what the install, uninstall and config targets do:
// load and validate the config, render, check prerequisites, and only then
// write, reporting what changed.
package deploy

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/config"
	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/systemd"
	"github.com/hotstack-os/hotstack-os/units"
)

// Options are the inputs of every deploy step. Env reads them from the
// process environment (HOTSTACK_*).
type Options struct {
	EnvFile        string // HOTSTACK_ENV, default ./.env
	Root           string // HOTSTACK_ROOT, default /
	SkipImageCheck bool   // HOTSTACK_SKIP_IMAGE_CHECK=1
	Purge          bool   // HOTSTACK_PURGE=1
	ConfigsDir     string // HOTSTACK_CONFIGS_DIR, default ./configs
	ScriptsDir     string // HOTSTACK_SCRIPTS_DIR, default ./scripts

	Paths  units.Paths
	Stack  *stack.Stack
	Runner execx.Runner
	Log    zerolog.Logger
	// Systemd connects to the manager; only used with Root "/".
	Systemd func(ctx context.Context) (systemd.Manager, error)
	// BuildHelper returns the helper binary's bytes.
	BuildHelper func(ctx context.Context) ([]byte, error)
}

// FromEnv fills Options from HOTSTACK_* variables and production defaults.
func FromEnv(log zerolog.Logger) Options {
	st, _ := stack.Default()
	o := Options{
		EnvFile:        Getenv("HOTSTACK_ENV", ".env"),
		Root:           Getenv("HOTSTACK_ROOT", "/"),
		SkipImageCheck: os.Getenv("HOTSTACK_SKIP_IMAGE_CHECK") == "1",
		Purge:          os.Getenv("HOTSTACK_PURGE") == "1",
		ConfigsDir:     Getenv("HOTSTACK_CONFIGS_DIR", "templates/configs"),
		ScriptsDir:     Getenv("HOTSTACK_SCRIPTS_DIR", "templates/scripts"),
		Paths:          units.DefaultPaths,
		Stack:          st,
		Runner:         execx.System{},
		Log:            log,
		Systemd:        func(ctx context.Context) (systemd.Manager, error) { return systemd.Connect(ctx) },
	}
	o.BuildHelper = func(ctx context.Context) ([]byte, error) { return BuildHelper(ctx, o.Runner) }
	return o
}

// Getenv returns the variable key, or def when it is unset or empty.
func Getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Live reports whether writes go to the running system (root "/").
func (o Options) Live() bool { return o.Root == "" || o.Root == "/" }

// defaultsOnce keeps the "using defaults" notice to one line per process,
// though mage runs several targets that each load the config.
var defaultsOnce sync.Once

// LoadConfig reads the .env (or the built-in defaults, saying so) and
// validates it against the stack's schema.
func (o Options) LoadConfig() (*config.Config, error) {
	cfg, usedDefaults, err := config.LoadOrDefaults(o.EnvFile, o.Stack.Schema(), config.Options{})
	if err != nil {
		return nil, err
	}
	if usedDefaults {
		defaultsOnce.Do(func() { o.Log.Info().Msgf("no %s found: using the built-in defaults (see .env.example)", o.EnvFile) })
	}
	for _, k := range cfg.Shadowed {
		o.Log.Warn().Str("key", k).Msgf("%s is set in the process environment too; the value from %s is used", k, cfg.File)
	}
	return cfg, nil
}

// Fail is an error that carries an exit status for the command line.
type Fail struct {
	Code int
	Err  error
}

func (f *Fail) Error() string { return f.Err.Error() }
func (f *Fail) Unwrap() error { return f.Err }

func failf(code int, format string, a ...any) error {
	return &Fail{Code: code, Err: fmt.Errorf(format, a...)}
}
