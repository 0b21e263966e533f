package app

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hotstack-os/hotstack-os/internal/execx"
	"github.com/hotstack-os/hotstack-os/internal/settings"
	"github.com/hotstack-os/hotstack-os/internal/systemd"
	"github.com/hotstack-os/hotstack-os/stack"
	"github.com/hotstack-os/hotstack-os/units"
)

const secretEnv = "KEYSTONE_ADMIN_PASSWORD=Adm1n-unique\nMYSQL_ROOT_PASSWORD=R00t-unique\nDB_PASSWORD=Db-unique\n" +
	"SERVICE_PASSWORD=Svc-unique\nRABBITMQ_DEFAULT_PASS=Rabbit-unique\nCHASSIS_HOSTNAME=test-host\n"

// harness is an app on a staging root, with a fake systemd whose active
// units are the running containers of a fake podman.
type harness struct {
	t      *testing.T
	o      Options
	app    *App
	mgr    *systemd.Fake
	runner *execx.Fake
	logs   *syncBuffer
	out    *syncBuffer
	exits  []int

	mu        sync.Mutex
	unhealthy map[string]bool // containers whose health command fails
}

// syncBuffer is a bytes.Buffer safe for the engine's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func newHarness(t *testing.T, env string) *harness {
	t.Helper()
	dir := t.TempDir()
	envFile := filepath.Join(dir, "missing.env")
	if env != "" {
		envFile = filepath.Join(dir, ".env")
		if err := os.WriteFile(envFile, []byte(env), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, mgr: systemd.NewFake(), logs: &syncBuffer{}, out: &syncBuffer{}, unhealthy: map[string]bool{}}
	h.runner = &execx.Fake{Handler: h.podman}
	h.o = Options{
		Settings: settings.Settings{
			EnvFile:        envFile,
			Root:           filepath.Join(dir, "root"),
			SkipImageCheck: true,
			ConfigsDir:     repoPath(t, "templates/configs"),
			ScriptsDir:     repoPath(t, "templates/scripts"),
			LogsLines:      50,
		},
		Paths:       units.DefaultPaths(),
		Stack:       st,
		Runner:      h.runner,
		Systemd:     func(context.Context) (systemd.Manager, error) { return h.mgr, nil },
		BuildHelper: func(context.Context) ([]byte, error) { return []byte("#!/bin/sh\n"), nil },
		Log:         zerolog.New(h.logs),
		Stdout:      h.out,
		Stderr:      h.logs,
		Environ:     func() []string { return nil },
		RunLock:     filepath.Join(dir, "run.lock"),
		Exit:        func(code int) { h.exits = append(h.exits, code) },
	}
	if err := os.Mkdir(h.o.Root, 0o755); err != nil { // HOTSTACK_ROOT must exist
		t.Fatal(err)
	}
	h.rebuild()
	return h
}

// repoPath is a path of this checkout, from the package directory.
func repoPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rebuild makes a new app from h.o: a new run, which reads the .env again.
func (h *harness) rebuild() { h.app = New(h.o) }

// podman answers the commands the app runs: containers run while their unit
// is active; health commands succeed unless marked unhealthy.
func (h *harness) podman(_ context.Context, c execx.Command) (execx.Result, error) {
	args := strings.Join(c.Args, " ")
	switch {
	case c.Name == "podman" && strings.HasPrefix(args, "ps --filter status=running"):
		var names []string
		for _, svc := range h.o.Stack.Containers() {
			if st, _ := h.mgr.State(context.Background(), stack.UnitName(svc.Name)); st.Active == "active" {
				names = append(names, stack.ContainerName(svc.Name))
			}
		}
		return execx.Result{Stdout: []byte(strings.Join(names, "\n"))}, nil
	case c.Name == "podman" && strings.Contains(args, " exec "):
		name := c.Args[2]
		h.mu.Lock()
		bad := h.unhealthy[name]
		h.mu.Unlock()
		if bad {
			return execx.Result{Stderr: []byte("connection refused")}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: "connection refused"}
		}
		return execx.Result{Stdout: []byte("ok")}, nil
	case c.Name == "journalctl":
		unit := c.Args[len(c.Args)-1]
		return execx.Result{Stdout: []byte("journal of " + unit + ": line 1\njournal of " + unit + ": line 2\n")}, nil
	}
	return execx.Result{}, nil
}

// setAll makes every unit active (a healthy stack) or inactive.
func (h *harness) setAll(active bool) {
	for _, svc := range h.o.Stack.Services() {
		if active {
			h.mgr.Set(stack.UnitName(svc.Name), "loaded", "active", "running")
		} else {
			h.mgr.Set(stack.UnitName(svc.Name), "loaded", "inactive", "dead")
		}
	}
}

// install installs into the staging root, as `mage install` would.
func (h *harness) install() {
	h.t.Helper()
	if err := h.app.Install(context.Background()); err != nil {
		h.t.Fatalf("install: %v\n%s", err, h.logs.String())
	}
}

// calls returns the fake systemd's calls that start with verb.
func (h *harness) calls(verb string) []string {
	var out []string
	for _, c := range h.mgr.Calls() {
		if rest, ok := strings.CutPrefix(c, verb+" "); ok {
			out = append(out, rest)
		}
	}
	return out
}

func listFiles(t *testing.T, root string) map[string]fs.FileInfo {
	t.Helper()
	out := map[string]fs.FileInfo{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		out[p] = fi
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}
