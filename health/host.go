package health

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/hotstack-os/hotstack-os/internal/execx"
)

// The probes here look at a service from the host, where its health
// command would run inside the container: each `podman exec` costs about a
// tenth of a CPU-second, paid by every service on every start. They prove
// what the command proves, no less.

// Listening is healthy whenever it is asked: behind a PortGate, for a
// service whose health command only checks that its port accepts
// connections (the gate has seen it do so).
type Listening struct{}

func (Listening) Probe(context.Context) Result {
	return Result{Healthy: true, Output: "accepting connections"}
}

// HTTP is healthy when a GET of http://Addr+Path answers: with a status
// below 400, as `curl -f` wants, or with any status when AnyStatus is
// set. It speaks HTTP/1.1 over one connection it dials itself and closes:
// net/http's client would bring its TLS and proxy machinery into the
// helper, which every container mounts (2.1 MB more).
type HTTP struct {
	Addr, Path string
	AnyStatus  bool
}

func (h HTTP) Probe(ctx context.Context) Result {
	url := "http://" + h.Addr + h.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Permanent: true, Output: err.Error()}
	}
	req.Close = true
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", h.Addr)
	if err != nil {
		return Result{Output: fmt.Sprintf("GET %s: %v", url, err)}
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if err := req.Write(conn); err != nil {
		return Result{Output: fmt.Sprintf("GET %s: %v", url, err)}
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return Result{Output: fmt.Sprintf("GET %s: %v", url, err)}
	}
	resp.Body.Close()
	return Result{Healthy: h.AnyStatus || resp.StatusCode < 400, Output: fmt.Sprintf("GET %s: %s", url, resp.Status)}
}

// Connected is healthy once the network namespace of the process PID
// returns holds an established TCP connection to port Port: a worker
// that consumes RPC (nova-conductor, the schedulers, heat-engine) has
// connected to RabbitMQ only once it is ready to take calls. Until then
// its callers' first calls time out (nova-compute waited 10 s for the
// conductor on every start). The container has a network namespace of its
// own, so what /proc/PID/net/tcp lists is its connections.
type Connected struct {
	// PID returns the container's main process as the host sees it; 0
	// when the container is not running yet.
	PID  func(ctx context.Context) (int, error)
	Port int
	// MainPID, when non-zero, is the unit's `podman run` process: once it
	// has exited, so has the container (see Container.MainPID).
	MainPID int
	// Proc is the proc file system's root ("" for /proc; tests).
	Proc string
}

func (c Connected) Probe(ctx context.Context) Result {
	if r, exited := mainExited(c.MainPID); exited {
		return r
	}
	pid, err := c.PID(ctx)
	switch {
	case err != nil:
		return Result{Output: err.Error()}
	case pid <= 0:
		return Result{Output: "the container is not running yet"}
	}
	proc := c.Proc
	if proc == "" {
		proc = "/proc"
	}
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("%s/%d/net/%s", proc, pid, table))
		if err != nil {
			if table == "tcp" {
				return Result{Output: fmt.Sprintf("cannot read the container's connections: %v", err)}
			}
			continue
		}
		found := establishedTo(f, c.Port)
		f.Close()
		if found {
			return Result{Healthy: true, Output: fmt.Sprintf("connected to port %d", c.Port)}
		}
	}
	return Result{Output: fmt.Sprintf("no connection to port %d yet", c.Port)}
}

// establishedTo reads a /proc/net/tcp table: does a connection in state
// ESTABLISHED (01) have remote port port?
func establishedTo(r io.Reader, port int) bool {
	sc := bufio.NewScanner(r)
	sc.Scan() // the header
	for sc.Scan() {
		// sl local_address rem_address st ...; addresses are HEX_IP:HEX_PORT.
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != "01" {
			continue
		}
		_, hexPort, ok := strings.Cut(f[2], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(hexPort, 16, 16); err == nil && int(p) == port {
			return true
		}
	}
	return false
}

// ContainerPID returns a function that finds the main process of the
// container name as the host sees it (`podman inspect`), asking podman
// until the container runs, then no more: a gate watches one start.
func ContainerPID(r execx.Runner, name string) func(context.Context) (int, error) {
	pid := 0
	return func(ctx context.Context) (int, error) {
		if pid > 0 {
			return pid, nil
		}
		res, err := r.Run(ctx, execx.Command{Name: "podman", Args: []string{"--events-backend=none", "inspect", "--format", "{{.State.Pid}}", name}})
		if err != nil {
			// Not created yet, most likely: Probe says "not running yet".
			return 0, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(res.Stdout)))
		if err != nil {
			return 0, fmt.Errorf("podman inspect %s: pid %q", name, res.Stdout)
		}
		pid = n
		return pid, nil
	}
}
