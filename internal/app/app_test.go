package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// units are the running containers of a fake podman. A container carries
// the labels of its unit as installed when the unit was (re)started.
type harness struct {
	t      *testing.T
	o      Options
	app    *App
	mgr    *systemd.Fake
	runner *execx.Fake
	logs   *syncBuffer
	out    *syncBuffer
	exits  []int

	mu         sync.Mutex
	unhealthy  map[string]bool              // containers whose health command fails
	images     map[string]string            // podman's image store: reference -> ID
	containers map[string]systemd.Container // what each container was started as, by name
}

// harnessManager is the fake systemd, which launches a unit's container
// (with the unit's labels) when it starts or restarts the unit.
type harnessManager struct {
	*systemd.Fake
	h *harness
}

func (m harnessManager) Start(ctx context.Context, unit string) error {
	err := m.Fake.Start(ctx, unit)
	if err == nil {
		m.h.launch(unit)
	}
	return err
}

func (m harnessManager) Restart(ctx context.Context, unit string) error {
	err := m.Fake.Restart(ctx, unit)
	if err == nil {
		m.h.launch(unit)
	}
	return err
}

// launch records the container of unit as started from the unit file
// installed now: its labels, its image and that image's current ID.
func (h *harness) launch(unit string) {
	data, err := os.ReadFile(filepath.Join(h.o.Root, h.o.Paths.UnitDir, unit))
	if err != nil {
		return // the infra oneshot, the target, or nothing installed
	}
	name := strings.TrimSuffix(unit, ".service")
	c := systemd.Container{Name: name, Labels: map[string]string{}}
	words := strings.Fields(string(data))
	for i, w := range words {
		if w == "--label" && i+1 < len(words) {
			k, v, _ := strings.Cut(words[i+1], "=")
			c.Labels[k] = v
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c.Image = c.Labels[units.LabelImage]
	c.ImageID = h.images[c.Image]
	h.containers[name] = c
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
	h := &harness{t: t, mgr: systemd.NewFake(), logs: &syncBuffer{}, out: &syncBuffer{}, unhealthy: map[string]bool{},
		images: map[string]string{}, containers: map[string]systemd.Container{}}
	for _, svc := range st.Containers() {
		h.images[svc.Container.ImageFor(stack.DefaultRelease)] = "sha256-" + svc.Container.ImageFor(stack.DefaultRelease)
	}
	h.runner = &execx.Fake{Handler: h.podman}
	h.o = Options{
		Settings: settings.Settings{
			EnvFile:        envFile,
			Root:           filepath.Join(dir, "root"),
			SkipImageCheck: true,
			ConfigsDir:     repoPath(t, "templates/configs"),
			ScriptsDir:     repoPath(t, "templates/scripts"),
			LogsLines:      50,
			BackupDir:      "/var/backups/hotstack-os",
			ImageCache:     filepath.Join(dir, "cache", "apt"),
		},
		Paths:       units.DefaultPaths(),
		Stack:       st,
		Runner:      h.runner,
		Systemd:     func(context.Context) (systemd.Manager, error) { return harnessManager{Fake: h.mgr, h: h}, nil },
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
// is active; health commands succeed unless marked unhealthy; images are
// those of h.images.
func (h *harness) podman(_ context.Context, c execx.Command) (execx.Result, error) {
	args := strings.Join(c.Args, " ")
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case c.Name == "podman" && strings.HasPrefix(args, "ps --filter status=running"):
		var list []map[string]any
		for _, svc := range h.o.Stack.Containers() {
			if st, _ := h.mgr.State(context.Background(), stack.UnitName(svc.Name)); st.Active == "active" {
				ct := h.containers[stack.ContainerName(svc.Name)]
				list = append(list, map[string]any{"Names": []string{stack.ContainerName(svc.Name)}, "Image": ct.Image, "ImageID": ct.ImageID, "Labels": ct.Labels})
			}
		}
		out, err := json.Marshal(list)
		return execx.Result{Stdout: out}, err
	case c.Name == "podman" && strings.HasPrefix(args, "image inspect --format"):
		var out, errOut strings.Builder
		for _, ref := range c.Args[4:] {
			if id, ok := h.images[ref]; ok {
				fmt.Fprintf(&out, "%s\t\n", id)
			} else {
				fmt.Fprintf(&errOut, "Error: inspecting object: %s: image not known\n", ref)
			}
		}
		res := execx.Result{Stdout: []byte(out.String()), Stderr: []byte(errOut.String())}
		if errOut.Len() > 0 {
			return res, &execx.Error{Cmd: c, ExitCode: 125, Stderr: errOut.String(), Err: errors.New("exit status 125")}
		}
		return res, nil
	case c.Name == "podman" && strings.Contains(args, " exec "):
		name := c.Args[2]
		if h.unhealthy[name] {
			return execx.Result{Stderr: []byte("connection refused")}, &execx.Error{Cmd: c, ExitCode: 1, Stderr: "connection refused"}
		}
		return execx.Result{Stdout: []byte("ok")}, nil
	case c.Name == "journalctl":
		unit := c.Args[len(c.Args)-1]
		return execx.Result{Stdout: []byte("journal of " + unit + ": line 1\njournal of " + unit + ": line 2\n")}, nil
	}
	return execx.Result{}, nil
}

// setAll makes every unit active (a healthy stack, its containers
// started from the units installed now, the target active) or inactive.
func (h *harness) setAll(active bool) {
	for _, svc := range h.o.Stack.Services() {
		if active {
			h.setUp(svc.Name)
		} else {
			h.mgr.Set(stack.UnitName(svc.Name), "loaded", "inactive", "dead")
		}
	}
	if active {
		h.mgr.Set(stack.TargetName, "loaded", "active", "active")
	} else {
		h.mgr.Set(stack.TargetName, "loaded", "inactive", "dead")
	}
}

// setUp makes service's unit active, its container started from the unit
// installed now.
func (h *harness) setUp(service string) {
	h.mgr.Set(stack.UnitName(service), "loaded", "active", "running")
	h.launch(stack.UnitName(service))
}

// install installs into the staging root, as `mage install` would.
func (h *harness) install() {
	h.t.Helper()
	if err := h.app.Install(context.Background()); err != nil {
		h.t.Fatalf("install: %v\n%s", err, h.logs.String())
	}
}

// writeEnv replaces the .env and starts a new run (which reads it).
func (h *harness) writeEnv(env string) {
	h.t.Helper()
	if err := os.WriteFile(h.o.EnvFile, []byte(env), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.rebuild()
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
