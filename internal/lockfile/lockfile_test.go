package lockfile

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestLockSerializesRuns(t *testing.T) {
	// On synctest's fake clock: the waits below are exact, not guesses
	// about how fast the machine is.
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lock")
		first, err := Acquire(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		waited := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			l, err := Acquire(context.Background(), path, func(holder string) { waited <- holder })
			if err == nil {
				l.Release()
			}
			done <- err
		}()
		select {
		case holder := <-waited:
			if !strings.HasPrefix(holder, "pid ") {
				t.Errorf("holder %q", holder)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("second run did not report waiting")
		}
		select {
		case <-done:
			t.Fatal("second run got the lock while the first held it")
		case <-time.After(200 * time.Millisecond):
		}
		first.Release()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestLockWaitEndsWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lock")
		first, err := Acquire(context.Background(), path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer first.Release()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err = Acquire(ctx, path, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "waiting for lock "+path) {
			t.Errorf("Acquire = %v", err)
		}
		if took := time.Since(start); took != time.Minute {
			t.Errorf("gave up after %s, want when the context ended", took)
		}
	})
}
