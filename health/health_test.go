package health

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func fastPolicy() Policy { return DefaultPolicy(2*time.Second, time.Second) }

// The waits run under testing/synctest: a fake clock that advances only
// when every goroutine of the test waits on it, so durations are exact and
// no test depends on how busy the machine is.

func TestWaitHealthyAfterSomeProbes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int32
		start := time.Now()
		err := Wait(context.Background(), ProberFunc(func(context.Context) Result {
			return Result{Healthy: n.Add(1) >= 3}
		}), fastPolicy(), nil)
		if err != nil || n.Load() != 3 {
			t.Fatalf("err %v after %d probes", err, n.Load())
		}
		// Two intervals of 100 ms ±20%: the initial one, then the cap,
		// which stays at its 100 ms floor for a probe that costs nothing.
		if d := time.Since(start); d < 160*time.Millisecond || d > 240*time.Millisecond {
			t.Fatalf("three probes took %v", d)
		}
	})
}

func TestFirstProbeIsImmediate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if err := Wait(context.Background(), ProberFunc(func(context.Context) Result { return Result{Healthy: true} }), fastPolicy(), nil); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("first probe after %v", d)
		}
	})
}

func TestPermanentStopsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := Wait(context.Background(), ProberFunc(func(context.Context) Result {
			return Result{Permanent: true, Output: "container exited with code 1"}
		}), DefaultPolicy(time.Minute, time.Second), nil)
		var u *Unhealthy
		if !errors.As(err, &u) || u.Probes != 1 || u.LastOutput != "container exited with code 1" || u.Reason != "cannot become healthy" {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("permanent failure took %v to report", d)
		}
	})
}

func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := DefaultPolicy(300*time.Millisecond, 100*time.Millisecond)
		err := Wait(context.Background(), ProberFunc(func(context.Context) Result { return Result{Output: "connection refused"} }), p, nil)
		var u *Unhealthy
		if !errors.As(err, &u) || u.LastOutput != "connection refused" || u.Elapsed != 300*time.Millisecond || u.Reason != "deadline of 300ms exceeded" {
			t.Fatalf("got %v (after %v)", err, u.Elapsed)
		}
	})
}

func TestInterrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := Wait(ctx, ProberFunc(func(context.Context) Result { return Result{} }), DefaultPolicy(time.Minute, time.Second), nil)
		if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("interrupt took %v", d)
		}
	})
}

func TestHedgedAnswersDespiteOneStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		stalling := ProberFunc(func(ctx context.Context) Result {
			if calls.Add(1) == 1 {
				select { // the first attempt stalls like podman does
				case <-time.After(5 * time.Second):
				case <-ctx.Done():
				}
				return Result{Output: "stalled"}
			}
			return Result{Healthy: true}
		})
		start := time.Now()
		r := Hedged{Prober: stalling, After: 50 * time.Millisecond}.Probe(context.Background())
		if !r.Healthy || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("got %+v after %v", r, time.Since(start))
		}
		// A fast probe is not hedged.
		calls.Store(10)
		fast := Hedged{Prober: stalling, After: time.Second}
		if fast.Probe(context.Background()); calls.Load() != 11 {
			t.Fatalf("fast probe hedged: %d calls", calls.Load()-10)
		}
	})
}

func TestPortGateProbesInsideOnlyOnceThePortIsOpen(t *testing.T) {
	inner := 0
	prober := ProberFunc(func(context.Context) Result { inner++; return Result{Healthy: true, Output: "inside"} })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // closed: connections are refused
	gate := PortGate{Addr: addr, Prober: prober}
	if r := gate.Probe(context.Background()); r.Healthy || r.Permanent || inner != 0 || !strings.Contains(r.Output, "not accepting connections") {
		t.Errorf("closed port: %+v, %d probes inside", r, inner)
	}
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	defer l.Close()
	if r := gate.Probe(context.Background()); !r.Healthy || inner != 1 {
		t.Errorf("open port: %+v, %d probes inside", r, inner)
	}
	// A container whose podman process has exited opens no port.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gate.MainPID = cmd.Process.Pid
	if r := gate.Probe(context.Background()); !r.Permanent || inner != 1 {
		t.Errorf("exited main process: %+v", r)
	}
}
