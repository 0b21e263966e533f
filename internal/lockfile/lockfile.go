// Package lockfile serializes runs of hotstack-os with an flock.
package lockfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hotstack-os/hotstack-os/internal/retry"
)

// Lock is an exclusive flock. Infra runs use it so that the boot-time oneshot and an operator's
// `mage infra:setup` never interleave their edits. A second run waits for
// the first (reporting who holds the lock) rather than failing, since both
// want the same end state; ctx bounds the wait.
type Lock struct{ f *os.File }

// Acquire takes an exclusive flock on path, waiting until it is free or
// ctx ends. notify is called once if the lock is busy.
func Acquire(ctx context.Context, path string, notify func(holder string)) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	told := false
	err = retry.Do(ctx, retry.Every(100*time.Millisecond, 0), func(context.Context) error {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return retry.Permanent(fmt.Errorf("lock %s: %w", path, err))
		}
		if !told && notify != nil {
			holder, _ := os.ReadFile(path)
			notify(strings.TrimSpace(string(holder)))
			told = true
		}
		return err
	})
	if err != nil {
		f.Close()
		if gaveUp := (*retry.GaveUp)(nil); errors.As(err, &gaveUp) {
			return nil, fmt.Errorf("waiting for lock %s: %w", path, ctx.Err())
		}
		return nil, err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte("pid "+strconv.Itoa(os.Getpid())+"\n"), 0)
	return &Lock{f: f}, nil
}

// Release drops the lock.
func (l *Lock) Release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
