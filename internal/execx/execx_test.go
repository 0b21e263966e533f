package execx

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestRunReportsExitCodeAndStderr(t *testing.T) {
	_, err := System{}.Run(context.Background(), Command{Name: "sh", Args: []string{"-c", "echo boom >&2; exit 3"}})
	if ExitCode(err) != 3 {
		t.Fatalf("exit code = %d, want 3 (err %v)", ExitCode(err), err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Stderr != "boom\n" {
		t.Fatalf("stderr not carried: %v", err)
	}
}

func TestCancelKillsWholeProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// The grandchild ignores SIGTERM: only the group SIGKILL ends it.
		_, err := System{KillGrace: 200 * time.Millisecond}.Run(ctx, Command{Name: "sh", Args: []string{"-c",
			"sh -c 'trap \"\" TERM; echo $$ > " + pidFile + "; sleep 30' & wait"}})
		done <- err
	}()
	var pid int
	for i := 0; i < 100 && pid == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(string(bytes.TrimSpace(b)))
	}
	if pid == 0 {
		t.Fatal("grandchild never started")
	}
	cancel()
	// What matters is that Run returns, and with the context's error: the
	// bound only tells a hang from a loaded machine's slowness, never a
	// speed.
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	time.Sleep(100 * time.Millisecond)
	if alive(pid) {
		t.Fatalf("grandchild %d still alive after cancel", pid)
	}
}

// alive reports whether pid runs; a zombie waiting to be reaped by init
// counts as dead.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' && i+2 < len(stat) {
			return stat[i+2] != 'Z'
		}
	}
	return true
}
