package entrypoint

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The waits run under testing/synctest, whose clock jumps over their
// pauses: dependencyTimeout passes at once, and exactly.

func TestWaitSocketSeesTheSocketOnItsNextLook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mysqld.sock")
	synctest.Test(t, func(t *testing.T) {
		listening := make(chan net.Listener, 1)
		time.AfterFunc(900*time.Millisecond, func() {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Error(err)
			}
			listening <- l
		})
		start := time.Now()
		if err := waitSocket(context.Background(), &Container{Service: "test"}, path); err != nil {
			t.Fatal(err)
		}
		// Looks every 200ms: the one at 1s finds it.
		if took := time.Since(start); took != time.Second {
			t.Errorf("took %s, want 1s", took)
		}
		if l := <-listening; l != nil {
			l.Close()
		}
	})
}

func TestWaitSocketGivesUpNamingTheSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "never.sock")
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := waitSocket(context.Background(), &Container{Service: "test"}, path)
		if took := time.Since(start); took != dependencyTimeout {
			t.Errorf("gave up after %s, want %s", took, dependencyTimeout)
		}
		if err == nil || !strings.HasPrefix(err.Error(), path+" did not accept connections: dial unix "+path) {
			t.Errorf("error %v", err)
		}
	})
}

// refusedAddr is a local TCP address nothing listens on.
func refusedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestWaitTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	refused := refusedAddr(t)
	c := &Container{Service: "test"}

	t.Run("answers at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			if err := c.WaitTCP(context.Background(), "MariaDB", l.Addr().String()); err != nil || time.Since(start) != 0 {
				t.Errorf("WaitTCP = %v after %s", err, time.Since(start))
			}
		})
	})
	t.Run("gives up at the deadline, naming what it waited for", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := c.WaitTCP(context.Background(), "RabbitMQ", refused)
			if took := time.Since(start); took != dependencyTimeout {
				t.Errorf("gave up after %s, want %s", took, dependencyTimeout)
			}
			want := "RabbitMQ at " + refused + " did not answer within 3m0s: dial tcp " + refused + ": connect: connection refused"
			if err == nil || err.Error() != want {
				t.Errorf("error %v\nwant  %s", err, want)
			}
			if op := (*net.OpError)(nil); !errors.As(err, &op) {
				t.Errorf("error %v does not carry the dial error", err)
			}
		})
	})
	t.Run("a stop ends the wait with the context's error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(time.Second, cancel)
			start := time.Now()
			err := c.WaitTCP(ctx, "RabbitMQ", refused)
			if err != context.Canceled || time.Since(start) != time.Second {
				t.Errorf("WaitTCP = %v after %s, want %v after 1s", err, time.Since(start), context.Canceled)
			}
		})
	})
}
