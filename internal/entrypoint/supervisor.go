package entrypoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one process the entrypoint starts.
type Proc struct {
	Argv []string
	// User runs the process as this user of the image, with its groups;
	// root when empty.
	User string
	// Env is added to the entrypoint's own environment.
	Env []string
	// Stdin, when set, is written to the process (secrets go this way,
	// never on a command line).
	Stdin string
	// Plain removes terminal colour codes from what the process prints
	// (heat-manage sets up oslo.log's colour handler before it reads its
	// configuration, so the logging configuration cannot stop it).
	Plain bool
	// stdout and stderr replace the container's output (Output, Plain).
	stdout, stderr *os.File
}

func (p Proc) String() string { return strings.Join(p.Argv, " ") }

// Supervisor is PID 1 of a container: it starts the service's processes,
// hands SIGTERM and SIGINT on to them, reaps every child (orphans included,
// as PID 1 must) and exits as the main process does. All waiting goes
// through one reaper, so short commands run during bootstrap and the
// long-running service never race for an exit status.
type Supervisor struct {
	mu       sync.Mutex
	waiting  map[int]*Started
	orphans  map[int]syscall.WaitStatus // exits seen before their Start registered
	children []*os.Process
	signals  chan os.Signal
	stopping chan struct{}
	stopOnce sync.Once
}

// NewSupervisor starts the reaper and the signal relay.
func NewSupervisor() *Supervisor {
	s := &Supervisor{waiting: map[int]*Started{}, orphans: map[int]syscall.WaitStatus{},
		signals: make(chan os.Signal, 8), stopping: make(chan struct{})}
	signal.Notify(s.signals, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	go s.loop()
	return s
}

// Stopping is closed once SIGTERM or SIGINT arrived.
func (s *Supervisor) Stopping() <-chan struct{} { return s.stopping }

func (s *Supervisor) loop() {
	for sig := range s.signals {
		if sig == syscall.SIGCHLD {
			s.reap()
			continue
		}
		s.stopOnce.Do(func() { close(s.stopping) })
		s.mu.Lock()
		for _, p := range s.children {
			_ = p.Signal(syscall.SIGTERM)
		}
		s.mu.Unlock()
	}
}

func (s *Supervisor) reap() {
	// As PID 1 every orphan of the container is ours to reap; elsewhere
	// (tests) only our own children, so other waiters keep theirs.
	if os.Getpid() != 1 {
		s.mu.Lock()
		for pid, st := range s.waiting {
			var ws syscall.WaitStatus
			if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); got == pid && err == nil {
				delete(s.waiting, pid)
				st.exit(ws)
			}
		}
		s.mu.Unlock()
		return
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		s.mu.Lock()
		if st, ok := s.waiting[pid]; ok {
			delete(s.waiting, pid)
			st.exit(ws)
		} else {
			s.orphans[pid] = ws
		}
		s.mu.Unlock()
	}
}

// Started is a running process.
type Started struct {
	Proc   Proc
	Pid    int
	exited chan struct{}
	status syscall.WaitStatus
}

func (st *Started) exit(ws syscall.WaitStatus) {
	st.status = ws
	close(st.exited)
}

// Start starts p; Wait on the result collects its exit.
func (s *Supervisor) Start(p Proc) (*Started, error) {
	cmd := exec.Command(p.Argv[0], p.Argv[1:]...)
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if p.stdout != nil {
		cmd.Stdout = p.stdout
	}
	if p.stderr != nil {
		cmd.Stderr = p.stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if p.User != "" {
		cred, err := credential(p.User)
		if err != nil {
			return nil, err
		}
		cmd.SysProcAttr.Credential = cred
	}
	var stdin *os.File
	if p.Stdin != "" {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		cmd.Stdin, stdin = r, w
		defer r.Close()
	}
	// The lock covers the start and the registration, so the reaper
	// cannot see the exit before someone is waiting for it.
	s.mu.Lock()
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		if stdin != nil {
			stdin.Close()
		}
		return nil, fmt.Errorf("start %s: %w", p.Argv[0], err)
	}
	if p.User != "" {
		// Go starts the child with CLONE_VM, so its setuid before exec marks
		// the memory it still shares with us not dumpable: /proc/1/exe
		// would then be unreadable in the container, and the health
		// command `test -f /proc/1/exe` fail. Undo that.
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 1, 0)
	}
	st := &Started{Proc: p, Pid: cmd.Process.Pid, exited: make(chan struct{})}
	if ws, ok := s.orphans[st.Pid]; ok {
		delete(s.orphans, st.Pid)
		st.exit(ws)
	} else {
		s.waiting[st.Pid] = st
	}
	s.children = append(s.children, cmd.Process)
	s.mu.Unlock()
	// Its SIGCHLD may have come before it was registered.
	s.reap()
	if stdin != nil {
		go func() {
			_, _ = stdin.WriteString(p.Stdin)
			stdin.Close()
		}()
	}
	return st, nil
}

// Wait returns the process's exit code (128+N when killed by signal N).
func (st *Started) Wait() int {
	<-st.exited
	if st.status.Signaled() {
		return 128 + int(st.status.Signal())
	}
	return st.status.ExitStatus()
}

// Done is closed when the process has exited.
func (st *Started) Done() <-chan struct{} { return st.exited }

// Run starts p and waits for it, returning an error that names the
// command when it fails or ctx ends first (the process is then killed).
func (s *Supervisor) Run(ctx context.Context, p Proc) error {
	if p.Plain {
		return s.runPlain(ctx, p)
	}
	st, err := s.Start(p)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		_ = syscall.Kill(st.Pid, syscall.SIGKILL)
		st.Wait()
		return fmt.Errorf("%s: %w", p.Argv[0], ctx.Err())
	case <-s.stopping:
		_ = syscall.Kill(st.Pid, syscall.SIGTERM)
		st.Wait()
		return fmt.Errorf("%s: %w", p.Argv[0], ErrStopping)
	case <-st.Done():
	}
	if code := st.Wait(); code != 0 {
		return fmt.Errorf("%s exited with code %d", p, code)
	}
	return nil
}

// runPlain runs p with both its outputs passed on to the container's
// standard output without colour codes.
func (s *Supervisor) runPlain(ctx context.Context, p Proc) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	if p.stdout == nil {
		p.stdout = w
	}
	p.stderr = w
	p.Plain = false
	copied := make(chan struct{})
	go func() {
		cs := &colourStripper{w: os.Stdout}
		_, _ = io.Copy(cs, r)
		cs.flush()
		r.Close()
		close(copied)
	}()
	err = s.Run(ctx, p)
	w.Close()
	<-copied
	return err
}

// colourRE matches a terminal colour code (SGR): ESC [ digits ; ... m.
var colourRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// colourStripper writes what it is given without colour codes, a line at
// a time so that no code is split across writes.
type colourStripper struct {
	w       io.Writer
	pending []byte
}

func (c *colourStripper) Write(b []byte) (int, error) {
	c.pending = append(c.pending, b...)
	if i := bytes.LastIndexByte(c.pending, '\n'); i >= 0 {
		if _, err := c.w.Write(colourRE.ReplaceAll(c.pending[:i+1], nil)); err != nil {
			return 0, err
		}
		c.pending = append(c.pending[:0], c.pending[i+1:]...)
	}
	return len(b), nil
}

// flush writes what is left after the last newline.
func (c *colourStripper) flush() {
	if len(c.pending) > 0 {
		_, _ = c.w.Write(colourRE.ReplaceAll(c.pending, nil))
		c.pending = nil
	}
}

// Output runs p and returns what it printed on standard output.
func (s *Supervisor) Output(ctx context.Context, p Proc) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	p.stdout = w
	var out strings.Builder
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, r)
		r.Close()
		close(copied)
	}()
	err = s.Run(ctx, p)
	w.Close()
	<-copied
	return out.String(), err
}

// ErrStopping is returned by Run when SIGTERM arrived meanwhile: the
// container is being stopped during its bootstrap.
var ErrStopping = errors.New("container is stopping")

// StopAll sends SIGTERM to every child, then SIGKILL after grace.
func (s *Supervisor) StopAll(grace time.Duration, running ...*Started) {
	s.mu.Lock()
	for _, p := range s.children {
		_ = p.Signal(syscall.SIGTERM)
	}
	s.mu.Unlock()
	deadline := time.After(grace)
	for _, st := range running {
		select {
		case <-st.Done():
		case <-deadline:
			_ = syscall.Kill(st.Pid, syscall.SIGKILL)
		}
	}
}

func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("user %s is not in this image: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, g := range ids {
			if n, err := strconv.Atoi(g); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, nil
}
