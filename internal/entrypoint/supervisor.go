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

	"golang.org/x/sys/unix"
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
// hands on to them every signal the container gets, reaps every child
// (orphans included, as PID 1 must) and exits as the main process does.
// It alone handles the entrypoint's signals: SIGTERM or SIGINT begins the
// stop, in which the processes get the signal and may finish their work
// (a schema migration its transaction) until the stop timeout, when
// whatever still runs is SIGKILLed. All waiting goes through one reaper,
// so short commands run during bootstrap and the long-running service
// never race for an exit status.
type Supervisor struct {
	stopTimeout time.Duration
	logf        func(format string, a ...any)
	// reapAll: as PID 1 every orphan of the container is ours to reap;
	// elsewhere (tests) only our own children, so other waiters keep theirs.
	reapAll bool

	// mu is held while a child is started, reaped or signalled: a child is
	// signalled only while it is in running, and it leaves running in the
	// same hold as it is reaped, so its PID cannot have been reused.
	mu       sync.Mutex
	running  map[int]*Started
	stopping chan struct{} // closed by the first SIGTERM or SIGINT
}

// NewSupervisor starts the reaper and the relay of every signal PID 1 can
// hand on (relayedSignals). stopTimeout is how long the processes get
// after SIGTERM or SIGINT before SIGKILL.
func NewSupervisor(stopTimeout time.Duration, logf func(format string, a ...any)) *Supervisor {
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, relayedSignals()...)
	return newSupervisor(signals, stopTimeout, logf, os.Getpid() == 1)
}

// newSupervisor relays what arrives on signals (tests feed it, and close
// it to stop the supervisor's reaping); children are reaped on SIGCHLD.
func newSupervisor(signals <-chan os.Signal, stopTimeout time.Duration, logf func(format string, a ...any), reapAll bool) *Supervisor {
	s := &Supervisor{stopTimeout: stopTimeout, logf: logf, reapAll: reapAll,
		running: map[int]*Started{}, stopping: make(chan struct{})}
	// One pending SIGCHLD is enough: each reap collects every exit so far.
	exits := make(chan os.Signal, 1)
	signal.Notify(exits, syscall.SIGCHLD)
	go s.loop(signals, exits)
	return s
}

// sigRTMax is the highest signal number on Linux.
const sigRTMax = syscall.Signal(64)

// relayedSignals is every signal PID 1 can catch except those it keeps:
//   - SIGCHLD drives the reaper;
//   - SIGURG is how Go's runtime preempts goroutines: it comes often, from
//     PID 1 itself;
//   - SIGPIPE comes from PID 1's own write to a closed output (Go's runtime
//     then ends PID 1, as before); the runtime ignores one sent from
//     outside. Neither is meant for the service;
//   - SIGPROF is the runtime profiler's and never relayed by it;
//   - 32 to 34 are the C libraries' own (thread cancellation, setxid,
//     musl's synccall), not signals to hand to another process.
//
// SIGKILL and SIGSTOP cannot be caught.
func relayedSignals() []os.Signal {
	var out []os.Signal
	for sig := syscall.Signal(1); sig <= sigRTMax; sig++ {
		switch sig {
		case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGURG, syscall.SIGPIPE, syscall.SIGPROF, 32, 33, 34:
			continue
		}
		out = append(out, sig)
	}
	return out
}

// Stopping is closed once SIGTERM or SIGINT arrived.
func (s *Supervisor) Stopping() <-chan struct{} { return s.stopping }

func (s *Supervisor) isStopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

func (s *Supervisor) loop(signals <-chan os.Signal, exits chan os.Signal) {
	defer signal.Stop(exits)
	for {
		select {
		case <-exits:
			s.reap()
		case sig, ok := <-signals:
			if !ok {
				return
			}
			s.relay(sig)
		}
	}
}

// relay hands sig on to every running process; SIGTERM and SIGINT also
// begin the stop.
func (s *Supervisor) relay(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (sig == syscall.SIGTERM || sig == syscall.SIGINT) && !s.isStopping() {
		close(s.stopping)
		s.logf("%s: stopping; whatever still runs in %s gets SIGKILL", signalName(sig), s.stopTimeout)
		time.AfterFunc(s.stopTimeout, s.killAll)
	}
	for _, st := range s.running {
		_ = st.process.Signal(sig)
	}
}

// signalName is SIGTERM rather than Go's "terminated".
func signalName(sig os.Signal) string {
	if n, ok := sig.(syscall.Signal); ok {
		return unix.SignalName(n)
	}
	return sig.String()
}

// killAll SIGKILLs every process still running: the stop timeout expired.
func (s *Supervisor) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.running {
		s.logf("%s (pid %d) still runs after the stop timeout (%s): SIGKILL", st.Proc.Argv[0], st.Pid, s.stopTimeout)
		_ = st.process.Signal(syscall.SIGKILL)
	}
}

// signalAll sends sig to every running process.
func (s *Supervisor) signalAll(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.running {
		_ = st.process.Signal(sig)
	}
}

func (s *Supervisor) reap() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reapAll {
		for pid, st := range s.running {
			var ws syscall.WaitStatus
			if got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil); got == pid && err == nil {
				s.exited(st, ws)
			}
		}
		return
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		// Not ours: an orphan the container handed to PID 1, reaped so
		// that it leaves no zombie; nobody waits for its status.
		if st, ok := s.running[pid]; ok {
			s.exited(st, ws)
		}
	}
}

// exited records st's exit; s.mu is held.
func (s *Supervisor) exited(st *Started, ws syscall.WaitStatus) {
	delete(s.running, st.Pid)
	_ = st.process.Release() // its pidfd, when Go has one
	st.status = ws
	close(st.exited)
}

// Started is a running process.
type Started struct {
	Proc    Proc
	Pid     int
	sup     *Supervisor
	process *os.Process
	exited  chan struct{}
	status  syscall.WaitStatus
}

// Signal sends sig to the process while it runs; never to the PID of a
// process already reaped, which another may have been given since.
func (st *Started) Signal(sig os.Signal) {
	st.sup.mu.Lock()
	defer st.sup.mu.Unlock()
	if st.sup.running[st.Pid] == st {
		_ = st.process.Signal(sig)
	}
}

// Start starts p; Wait on the result collects its exit. Once the stop has
// begun it starts nothing and returns ErrStopping.
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
	// cannot see the exit before someone is waiting for it, nor the relay
	// miss the new process.
	s.mu.Lock()
	if s.isStopping() {
		s.mu.Unlock()
		if stdin != nil {
			stdin.Close()
		}
		return nil, fmt.Errorf("%s: %w", p.Argv[0], ErrStopping)
	}
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
	st := &Started{Proc: p, Pid: cmd.Process.Pid, sup: s, process: cmd.Process, exited: make(chan struct{})}
	s.running[st.Pid] = st
	s.mu.Unlock()
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
// A stop (SIGTERM, SIGINT) does not kill it: the relay has handed it the
// signal, and it may finish until the stop timeout; Run then returns
// ErrStopping, so that no further bootstrap step starts.
func (s *Supervisor) Run(ctx context.Context, p Proc) error {
	if p.Plain {
		return s.runPlain(ctx, p)
	}
	st, err := s.Start(p)
	if err != nil {
		return err
	}
	select {
	case <-st.Done():
	case <-s.stopping:
		return s.stopped(st)
	case <-ctx.Done():
		// The entrypoint cancels its context once the stop began: that
		// is no reason to kill.
		if s.isStopping() {
			return s.stopped(st)
		}
		st.Signal(syscall.SIGKILL)
		st.Wait()
		return fmt.Errorf("%s: %w", p.Argv[0], ctx.Err())
	}
	if code := st.Wait(); code != 0 {
		return fmt.Errorf("%s exited with code %d", p, code)
	}
	return nil
}

// stopped waits for st to end during the stop.
func (s *Supervisor) stopped(st *Started) error {
	st.Wait()
	return fmt.Errorf("%s: %w", st.Proc.Argv[0], ErrStopping)
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

// ErrStopping is returned by Run and Start once SIGTERM or SIGINT arrived:
// the container is being stopped during its bootstrap.
var ErrStopping = errors.New("container is stopping")

// StopAll sends SIGTERM to every running process and waits for those in
// running to exit, SIGKILLing whatever still runs after the stop timeout.
func (s *Supervisor) StopAll(running ...*Started) {
	s.signalAll(syscall.SIGTERM)
	kill := time.AfterFunc(s.stopTimeout, s.killAll)
	defer kill.Stop()
	for _, st := range running {
		<-st.Done()
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
