package health

import (
	"context"
	"fmt"
	"net"
	"time"
)

// PortGate runs Prober only once Addr accepts TCP connections. A service
// that has not opened its port yet is not healthy, and finding that out
// with a connect from the host costs nothing, where each probe inside the
// container (`podman exec`) costs about a tenth of a CPU-second: a Python
// service that takes 30 s to open its port would otherwise be probed
// inside some 40 times.
type PortGate struct {
	Addr string
	// MainPID, when non-zero, is the unit's `podman run` process: once it
	// has exited, so has the container, and no port will open.
	MainPID int
	Prober  Prober
}

// gateDialTimeout bounds one connect. On the host's own bridge a
// listening port answers within a millisecond and a closed one refuses at
// once; only an address not up yet (a container in its first moments)
// leaves the connect waiting, and a short wait keeps the next try near
// (the backoff follows a probe's duration).
const gateDialTimeout = 100 * time.Millisecond

func (g PortGate) Probe(ctx context.Context) Result {
	if r, exited := mainExited(g.MainPID); exited {
		return r
	}
	d := net.Dialer{Timeout: gateDialTimeout}
	conn, err := d.DialContext(ctx, "tcp", g.Addr)
	if err != nil {
		return Result{Output: fmt.Sprintf("%s not accepting connections yet: %v", g.Addr, err)}
	}
	conn.Close()
	return g.Prober.Probe(ctx)
}
