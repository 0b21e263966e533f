package entrypoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hotstack-os/hotstack-os/stack"
)

// TestRunPlainStripsColour: what a Plain process prints reaches the
// container's output without terminal colour codes, whatever the chunks it
// arrives in, its last line (no newline) too.
func TestRunPlainStripsColour(t *testing.T) {
	var out bytes.Buffer
	cs := &colourStripper{w: &out}
	for _, chunk := range []string{"2026 INFO heat [-] 72 -> 73... \x1b[00m\n\x1b[01;31mERR", "OR\x1b[00m\nlast \x1b[0", "0m"} {
		if _, err := cs.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	cs.flush()
	if want := "2026 INFO heat [-] 72 -> 73... \nERROR\nlast "; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

// testSupervisor is a Supervisor fed signals by the test: signals sent to
// the test binary itself would reach `go test` too.
func testSupervisor(t *testing.T, stopTimeout time.Duration) (*Supervisor, chan<- os.Signal) {
	s, signals, _ := loggingSupervisor(t, stopTimeout, false)
	return s, signals
}

func loggingSupervisor(t *testing.T, stopTimeout time.Duration, reapAll bool) (*Supervisor, chan<- os.Signal, *logLines) {
	signals := make(chan os.Signal)
	t.Cleanup(func() { close(signals) })
	log := &logLines{}
	return newSupervisor(signals, stopTimeout, log.logf, reapAll), signals, log
}

// logLines keeps what the supervisor logs (t.Logf cannot: its stop timer
// may fire after the test).
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, a...))
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// shell is a /bin/sh script run with a scratch directory as $1; the
// scripts below create $1/ready once their traps are set.
func shell(dir, script string) Proc { return Proc{Argv: []string{"sh", "-c", script, "sh", dir}} }

// idle keeps a script running while its parent (the test, or the test's
// PID 1) lives: a failed test leaves no process behind.
const idle = `while kill -0 $PPID 2>/dev/null; do sleep 0.05; done`

// eventually reports whether cond became true within ten seconds: a bound
// for a broken test, not a timing the test asserts.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

func exists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

func waitReady(t *testing.T, dir string) {
	t.Helper()
	if !eventually(exists(filepath.Join(dir, "ready"))) {
		t.Fatal("the script never became ready")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestSupervisorRelaysHangup: a SIGHUP reaches the service and nothing
// else happens (it used to end PID 1, and the container with it); the
// supervisor keeps relaying, and a SIGTERM the service does not trap ends
// it with 128+15.
func TestSupervisorRelaysHangup(t *testing.T) {
	// As NewSupervisor does in PID 1: SIGHUP handled, so the children
	// start with its default disposition even when the tests run under
	// nohup (a shell cannot trap a signal it inherits ignored).
	handled := make(chan os.Signal, 1)
	signal.Notify(handled, syscall.SIGHUP)
	t.Cleanup(func() { signal.Stop(handled) })
	s, signals := testSupervisor(t, time.Minute)
	dir := t.TempDir()
	st, err := s.Start(shell(dir, `trap 'echo hup >> "$1/hups"' HUP; : > "$1/ready"; `+idle))
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, dir)
	signals <- syscall.SIGHUP
	if !eventually(exists(filepath.Join(dir, "hups"))) {
		t.Fatal("the child's HUP trap never ran")
	}
	select {
	case <-s.Stopping():
		t.Fatal("a SIGHUP began the stop")
	case <-st.Done():
		t.Fatal("the child ended on SIGHUP")
	default:
	}
	signals <- syscall.SIGTERM
	if code := st.Wait(); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit code %d after SIGTERM, want %d", code, 128+int(syscall.SIGTERM))
	}
	select {
	case <-s.Stopping():
	default:
		t.Error("SIGTERM did not begin the stop")
	}
}

// TestSupervisorStopLetsTheCommandFinish: SIGTERM during a bootstrap
// command (a schema migration) hands it the signal and lets it finish its
// work, though the entrypoint cancels its context on the stop as Run does;
// no later bootstrap step starts.
func TestSupervisorStopLetsTheCommandFinish(t *testing.T) {
	s, signals := testSupervisor(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.Stopping()
		cancel()
	}()
	dir := t.TempDir()
	go func() {
		if eventually(exists(filepath.Join(dir, "ready"))) {
			signals <- syscall.SIGTERM
		}
	}()
	err := s.Run(ctx, shell(dir, `trap 'echo term >> "$1/log"; sleep 0.2; echo finished >> "$1/log"; exit 0' TERM
: > "$1/ready"; `+idle))
	if !errors.Is(err, ErrStopping) {
		t.Fatalf("Run = %v, want ErrStopping", err)
	}
	if got := readFile(t, filepath.Join(dir, "log")); got != "term\nfinished\n" {
		t.Errorf("the command's trap wrote %q: it was not let finish", got)
	}
	err = s.Run(context.Background(), shell(dir, `: > "$1/next-step"`))
	if !errors.Is(err, ErrStopping) {
		t.Errorf("a step after the stop: %v, want ErrStopping", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "next-step")); err == nil {
		t.Error("a bootstrap step started after the stop")
	}
}

// TestSupervisorKillsWhatOutstaysTheStop: a process that ignores SIGTERM is
// SIGKILLed once the stop timeout expired, and that is logged.
func TestSupervisorKillsWhatOutstaysTheStop(t *testing.T) {
	s, signals, log := loggingSupervisor(t, 100*time.Millisecond, false)
	dir := t.TempDir()
	st, err := s.Start(shell(dir, `trap '' TERM; : > "$1/ready"; `+idle))
	if err != nil {
		t.Fatal(err)
	}
	waitReady(t, dir)
	signals <- syscall.SIGTERM
	if code := st.Wait(); code != 128+int(syscall.SIGKILL) {
		t.Errorf("exit code %d, want %d (SIGKILL)", code, 128+int(syscall.SIGKILL))
	}
	if !strings.Contains(log.String(), "still runs after the stop timeout (100ms): SIGKILL") {
		t.Errorf("log:\n%s", log)
	}
}

// TestSupervisorReapsOrphans: as PID 1 (here: a child subreaper, which
// orphans are handed to as to PID 1) the supervisor reaps an orphan left by
// its child, besides reporting the child's own exit status.
func TestSupervisorReapsOrphans(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a child subreaper: %v", err)
	}
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
	s, _, _ := loggingSupervisor(t, time.Minute, true)
	dir := t.TempDir()
	st, err := s.Start(shell(dir, `(sleep 0.2; exit 5) & echo $! > "$1/orphan"; exit 3`))
	if err != nil {
		t.Fatal(err)
	}
	if code := st.Wait(); code != 3 {
		t.Errorf("exit code %d, want 3", code)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(dir, "orphan"))))
	if err != nil {
		t.Fatal(err)
	}
	// Unreaped, it would stay in /proc as a zombie.
	if !eventually(func() bool { _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); return errors.Is(err, os.ErrNotExist) }) {
		t.Errorf("orphan %d was not reaped: %s", pid, readFile(t, fmt.Sprintf("/proc/%d/stat", pid)))
	}
}

// TestServeStopsOnSIGTERM: a SIGTERM while the service runs reaches its
// main process and its helper; the container ends with the main process's
// status, though the helper ended first.
func TestServeStopsOnSIGTERM(t *testing.T) {
	sup, signals := testSupervisor(t, time.Minute)
	c := &Container{Service: "test", sup: sup, env: os.LookupEnv, conf: Ini{}}
	dir := t.TempDir()
	go func() {
		if eventually(exists(filepath.Join(dir, "ready"))) {
			signals <- syscall.SIGTERM
		}
	}()
	err := c.serve(context.Background(), nil, filepath.Join(dir, "container-ready"),
		shell(dir, `trap 'sleep 0.2; exit 0' TERM; : > "$1/ready"; `+idle),
		Proc{Argv: []string{"sleep", "30"}})
	if err != nil {
		t.Errorf("serve = %v, want the main process's exit 0", err)
	}
}

// TestSupervisorOwnsTheProcessSignals: with the signals a real process
// gets (a copy of this test binary playing PID 1, see playPID1), a SIGHUP
// reaches the service and the process survives it; a SIGTERM reaches the
// service too, and the process ends with the service's status.
func TestSupervisorOwnsTheProcessSignals(t *testing.T) {
	dir := t.TempDir()
	pid1 := exec.Command(os.Args[0], "-test.run=^TestPlayPID1$")
	pid1.Env = append(os.Environ(), "HOTSTACK_TEST_PID1="+dir)
	pid1.Stdout, pid1.Stderr = os.Stderr, os.Stderr
	if err := pid1.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- pid1.Wait() }()
	waitReady(t, dir)
	if err := pid1.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !eventually(exists(filepath.Join(dir, "hups"))) {
		t.Fatal("the service's HUP trap never ran")
	}
	select {
	case err := <-ended:
		t.Fatalf("PID 1 ended on SIGHUP: %v", err)
	default:
	}
	if err := pid1.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-ended; pid1.ProcessState.ExitCode() != 7 {
		t.Errorf("PID 1 ended with %v, want the service's exit code 7", err)
	}
}

// TestPlayPID1 is the PID 1 of TestSupervisorOwnsTheProcessSignals: a
// production Supervisor, its service a script that traps HUP and TERM.
func TestPlayPID1(t *testing.T) {
	dir := os.Getenv("HOTSTACK_TEST_PID1")
	if dir == "" {
		t.Skip("played by TestSupervisorOwnsTheProcessSignals")
	}
	s := NewSupervisor(time.Minute, func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) })
	st, err := s.Start(shell(dir, `trap 'echo hup >> "$1/hups"' HUP; trap 'exit 7' TERM; : > "$1/ready"; `+idle))
	if err != nil {
		t.Fatal(err)
	}
	os.Exit(st.Wait())
}

// TestRelayedSignals: everything the service may be sent is handed on;
// what PID 1 needs itself, or cannot catch, is not.
func TestRelayedSignals(t *testing.T) {
	relayed := relayedSignals()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR1,
		syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGTSTP, syscall.SIGALRM, 35, sigRTMax} {
		if !slices.Contains(relayed, os.Signal(sig)) {
			t.Errorf("%v is not handed on", sig)
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGCHLD, syscall.SIGURG, syscall.SIGPIPE, syscall.SIGKILL, syscall.SIGSTOP, 32, 33} {
		if slices.Contains(relayed, os.Signal(sig)) {
			t.Errorf("%v is handed on", sig)
		}
	}
}

// TestStopTimeoutIsUnderPodmans: every service's processes are SIGKILLed
// by PID 1 before podman stop -t would kill the container.
func TestStopTimeoutIsUnderPodmans(t *testing.T) {
	st, err := stack.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range Names() {
		svc := st.Get(name)
		if svc == nil {
			t.Errorf("recipe %s has no service in the stack, so no unit stop timeout", name)
			continue
		}
		if got := stopTimeout(name); got <= 0 || got >= svc.StopTimeout {
			t.Errorf("%s: stop timeout %s, want under podman stop -t %s", name, got, svc.StopTimeout)
		}
	}
	if got := stopTimeout("keystone"); got != 8*time.Second {
		t.Errorf("keystone: %s, want 8s", got)
	}
}
